"""Order entry: each request becomes one command in ``orders.commands``; the answer is
the OMS's recorded decision for it.

Status codes: 201 accepted (an order now exists), 200 any other decision (rejected,
canceled, replaced; a rejection is a business outcome recorded in the log, not an
error), 409 a repeated ClOrdID (the OMS's own duplicate rejection: never applied twice),
504 no decision recorded (the command is in the log; ask GET /orders later).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from agents.auth import Permission, Principal
from agents.gateway.engine import Outcome, stamped
from agents.gateway.models import (
    NAME_PATTERN,
    CancelRequest,
    ErrorBody,
    OrderDecision,
    OrderRequest,
    ReplaceRequest,
)
from agents.gateway.security import default_account, require_account, requires
from agents.gateway.state import Gateway, gateway_of
from agents.risk.checks import DUPLICATE_CL_ORD_ID
from schemas import CancelOrder, Record, ReplaceOrder, SubmitOrder

router = APIRouter(tags=["orders"])
Trader = Annotated[Principal, Depends(requires(Permission.trade))]
ClOrdIdPath = Annotated[str, Path(pattern=NAME_PATTERN, description="the order's ClOrdID")]

ERRORS: dict[int | str, dict[str, Any]] = {
    **{code: {"model": ErrorBody} for code in (401, 403, 413, 422, 429)},
    # These two carry the decision body, as the code below answers them.
    409: {"model": OrderDecision, "description": "a repeated ClOrdID: the OMS's rejection"},
    504: {"model": OrderDecision, "description": "no decision recorded (dead-lettered)"},
}
DUPLICATE_REASON = "duplicate ClOrdID"

_FIELDS = ("order_id", "arrival_mid", "qty", "limit_price", "leaves_qty", "cum_qty")
_RISK_FIELDS = ("reason", "rule", "limit", "observed")


def known_account(gateway: Gateway, account: str) -> None:
    """An account must exist somewhere: OMS state, the limits file, or a key's scope."""
    if account == "*":
        raise HTTPException(422, "field account: '*' is only for the kill switch")
    if account in gateway.keys.accounts() or account in gateway.engine.accounts():
        return
    raise HTTPException(422, f"field account: unknown account {account!r}")


def validated(model: type[Record], fields: dict[str, Any]) -> Record:
    """The command with ``ts_event`` 0, to be restamped under the engine's lock; a
    cross-field problem (a limit order without a price) raises the 422 here."""
    return model.model_validate({**fields, "ts_event": 0})


def _answer(
    outcome: Outcome, response: Response, gateway: Gateway, **ids: str | None
) -> OrderDecision:
    if not outcome.decisions:
        response.status_code = 504
        gateway.metrics.order_outcome("timeout")
        reason = "the command was dead-lettered" if outcome.dead_lettered else "no decision yet"
        return OrderDecision(status="timeout", event_id=outcome.event_id, reason=reason, **ids)
    kind, payload = outcome.decisions[0]
    status = kind.removeprefix("order_").removesuffix("_rejected")
    fields: dict[str, Any] = {name: payload.get(name) for name in _FIELDS if name in payload}
    if kind.endswith("rejected"):
        status = "rejected"
        fields.update({name: payload.get(name) for name in _RISK_FIELDS})
        risk = outcome.risk
        if risk is not None and not risk.get("approved") and fields.get("rule") is None:
            fields.update({name: risk.get(name) for name in ("rule", "limit", "observed")})
        duplicate = fields.get("rule") == DUPLICATE_CL_ORD_ID or str(
            fields.get("reason") or ""
        ).startswith(DUPLICATE_REASON)
        response.status_code = 409 if duplicate else 200
    elif kind == "order_accepted":
        response.status_code = 201
    gateway.metrics.order_outcome(status)
    return OrderDecision(status=status, event_id=outcome.event_id, **ids, **fields)


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses={200: {"model": OrderDecision, "description": "rejected"}, **ERRORS},
)
def place_order(
    body: OrderRequest, request: Request, response: Response, principal: Trader
) -> OrderDecision:
    gateway = gateway_of(request)
    require_account(principal, body.account)
    known_account(gateway, body.account)
    if body.instrument not in gateway.engine.config.registry:
        raise HTTPException(422, f"field instrument: unknown instrument {body.instrument!r}")
    command = validated(SubmitOrder, body.model_dump())
    (outcome,) = gateway.engine.execute([stamped(command)])
    return _answer(outcome, response, gateway, account=body.account, cl_ord_id=body.cl_ord_id)


@router.post(
    "/orders/{cl_ord_id}/cancel",
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses=ERRORS,
)
def cancel_order(
    cl_ord_id: ClOrdIdPath,
    body: CancelRequest,
    request: Request,
    response: Response,
    principal: Trader,
) -> OrderDecision:
    gateway = gateway_of(request)
    account = default_account(principal, body.account)
    known_account(gateway, account)
    command = validated(
        CancelOrder, {"account": account, "cl_ord_id": body.cl_ord_id, "orig_cl_ord_id": cl_ord_id}
    )
    (outcome,) = gateway.engine.execute([stamped(command)])
    return _answer(
        outcome,
        response,
        gateway,
        account=account,
        cl_ord_id=body.cl_ord_id,
        orig_cl_ord_id=cl_ord_id,
    )


@router.post(
    "/orders/{cl_ord_id}/replace",
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses=ERRORS,
)
def replace_order(
    cl_ord_id: ClOrdIdPath,
    body: ReplaceRequest,
    request: Request,
    response: Response,
    principal: Trader,
) -> OrderDecision:
    gateway = gateway_of(request)
    account = default_account(principal, body.account)
    known_account(gateway, account)
    fields = {"account": account, "cl_ord_id": body.cl_ord_id, "orig_cl_ord_id": cl_ord_id}
    command = validated(ReplaceOrder, {**fields, "qty": body.qty, "limit_price": body.limit_price})
    (outcome,) = gateway.engine.execute([stamped(command)])
    return _answer(
        outcome,
        response,
        gateway,
        account=account,
        cl_ord_id=body.cl_ord_id,
        orig_cl_ord_id=cl_ord_id,
    )

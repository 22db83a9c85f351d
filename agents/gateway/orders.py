"""Order entry: each request becomes one command in ``orders.commands``; the answer is
the OMS's recorded decision for it.

Status codes: 201 accepted (an order now exists), 200 any other decision (rejected,
canceled, replaced; a rejection is a business outcome recorded in the log, not an
error), 409 a repeated ClOrdID (the OMS's own duplicate rejection: never applied twice),
504 no decision recorded (the command is in the log; ask GET /orders later).

The handlers are async: the body is validated on the loop, the command goes to the
engine's thread (``EngineWorker``: group commit, arrival order) and the decision is
written straight to JSON (the declared ``response_model`` documents it; FastAPI does not
validate a model it was handed as a ready ``Response``).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

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


async def known_account(gateway: Gateway, account: str) -> None:
    """An account must exist somewhere: OMS state, the limits file, or a key's scope."""
    if account == "*":
        raise HTTPException(422, "field account: '*' is only for the kill switch")
    if account in gateway.key_accounts or account in gateway.engine_accounts:
        return
    if account in await gateway.worker.call(gateway.engine.accounts):
        gateway.engine_accounts.add(account)
        return
    raise HTTPException(422, f"field account: unknown account {account!r}")


R = TypeVar("R", bound=Record)


def validated(model: type[R], fields: dict[str, Any]) -> R:
    """The command with ``ts_event`` 0, to be restamped under the engine's lock; a
    cross-field problem (a limit order without a price) raises the 422 here."""
    return model.model_validate({**fields, "ts_event": 0})


def _reply(decision: OrderDecision, status_code: int) -> Response:
    body = decision.model_dump_json(exclude_none=True)
    return Response(body, status_code=status_code, media_type="application/json")


def _answer(outcome: Outcome, gateway: Gateway, **ids: str | None) -> Response:
    if not outcome.decisions:
        gateway.metrics.order_outcome("timeout")
        reason = "the command was dead-lettered" if outcome.dead_lettered else "no decision yet"
        timeout = OrderDecision(status="timeout", event_id=outcome.event_id, reason=reason, **ids)
        return _reply(timeout, 504)
    kind, payload = outcome.decisions[0]
    status = kind.removeprefix("order_").removesuffix("_rejected")
    fields: dict[str, Any] = {name: payload.get(name) for name in _FIELDS if name in payload}
    status_code = 200
    if kind.endswith("rejected"):
        status = "rejected"
        fields.update({name: payload.get(name) for name in _RISK_FIELDS})
        risk = outcome.risk
        if risk is not None and not risk.get("approved") and fields.get("rule") is None:
            fields.update({name: risk.get(name) for name in ("rule", "limit", "observed")})
        duplicate = fields.get("rule") == DUPLICATE_CL_ORD_ID or str(
            fields.get("reason") or ""
        ).startswith(DUPLICATE_REASON)
        status_code = 409 if duplicate else 200
    elif kind == "order_accepted":
        status_code = 201
    gateway.metrics.order_outcome(status)
    decision = OrderDecision(status=status, event_id=outcome.event_id, **ids, **fields)
    return _reply(decision, status_code)


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses={200: {"model": OrderDecision, "description": "rejected"}, **ERRORS},
)
async def place_order(body: OrderRequest, request: Request, principal: Trader) -> Response:
    gateway = gateway_of(request)
    command = await checked_order(gateway, principal, body)
    return await submit_order(gateway, command, body)


async def checked_order(gateway: Gateway, principal: Principal, body: OrderRequest) -> Record:
    """The new order's command, once scope, account and instrument check out (raises the
    403 or 422 otherwise). Nothing is written here."""
    require_account(principal, body.account)
    await known_account(gateway, body.account)
    if body.instrument not in gateway.engine.config.registry:
        raise HTTPException(422, f"field instrument: unknown instrument {body.instrument!r}")
    return validated(SubmitOrder, body.model_dump())


async def submit_order(gateway: Gateway, command: Record, body: OrderRequest) -> Response:
    """Append a checked order and answer the OMS's decision on it."""
    (outcome,) = await gateway.worker.execute([stamped(command)])
    return _answer(outcome, gateway, account=body.account, cl_ord_id=body.cl_ord_id)


@router.post(
    "/orders/{cl_ord_id}/cancel",
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses=ERRORS,
)
async def cancel_order(
    cl_ord_id: ClOrdIdPath, body: CancelRequest, request: Request, principal: Trader
) -> Response:
    gateway = gateway_of(request)
    account = default_account(principal, body.account)
    await known_account(gateway, account)
    command = validated(
        CancelOrder, {"account": account, "cl_ord_id": body.cl_ord_id, "orig_cl_ord_id": cl_ord_id}
    )
    return await _amend(gateway, command)


@router.post(
    "/orders/{cl_ord_id}/replace",
    response_model=OrderDecision,
    response_model_exclude_none=True,
    responses=ERRORS,
)
async def replace_order(
    cl_ord_id: ClOrdIdPath, body: ReplaceRequest, request: Request, principal: Trader
) -> Response:
    gateway = gateway_of(request)
    account = default_account(principal, body.account)
    await known_account(gateway, account)
    fields = {"account": account, "cl_ord_id": body.cl_ord_id, "orig_cl_ord_id": cl_ord_id}
    command = validated(ReplaceOrder, {**fields, "qty": body.qty, "limit_price": body.limit_price})
    return await _amend(gateway, command)


async def _amend(gateway: Gateway, command: CancelOrder | ReplaceOrder) -> Response:
    """Append a checked cancel or replace and answer the OMS's decision on it."""
    (outcome,) = await gateway.worker.execute([stamped(command)])
    return _answer(
        outcome,
        gateway,
        account=str(command.account),
        cl_ord_id=str(command.cl_ord_id),
        orig_cl_ord_id=str(command.orig_cl_ord_id),
    )

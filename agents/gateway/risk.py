"""Risk endpoints: the standalone pre-trade check and the kill switch.

``/risk/check`` answers from the OMS's in-memory state (``account_exposure`` of the live
book + ``agents.risk.check``): no command, no log round trip, nothing appended. It runs
the OMS's own instrument-grid check first, so its verdict is the one an order with the
same terms would get now. The check reads the state the engine's writes update, under the
engine's lock: on the event loop when that lock is free and the runtime is caught up
(no thread hop: the usual case), else on the engine's thread, so the loop never waits
for a commit.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from agents.auth import Permission, Principal
from agents.gateway.engine import stamped
from agents.gateway.models import (
    ErrorBody,
    KillSwitchRequest,
    KillSwitchResponse,
    KillSwitchResult,
    RiskCheckRequest,
    RiskCheckResponse,
)
from agents.gateway.orders import known_account
from agents.gateway.security import require_account, requires, scoped
from agents.gateway.state import Gateway, gateway_of
from agents.oms.exposure import account_exposure
from agents.oms.requests import grid_denial
from agents.oms.state import AccountBook
from agents.risk import RiskRequest, check, decision
from schemas import KillSwitch, RiskDecision
from schemas.view import View

router = APIRouter(tags=["risk"])
RiskOfficer = Annotated[Principal, Depends(requires(Permission.risk_check))]
KillSwitcher = Annotated[Principal, Depends(requires(Permission.kill_switch))]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 403, 413, 422, 429)
}


@router.post("/risk/check", response_model=RiskCheckResponse, responses=ERRORS)
async def risk_check(body: RiskCheckRequest, request: Request, principal: RiskOfficer) -> Response:
    gateway = gateway_of(request)
    terms = await checked_terms(gateway, principal, body)
    return await judge_terms(gateway, terms)


async def checked_terms(
    gateway: Gateway, principal: Principal, body: RiskCheckRequest
) -> RiskRequest:
    """The terms to judge, once scope, account, instrument and price check out (raises
    the 403 or 422 otherwise)."""
    require_account(principal, body.account)
    await known_account(gateway, body.account)
    if body.instrument not in gateway.engine.config.registry:
        raise HTTPException(422, f"field instrument: unknown instrument {body.instrument!r}")
    if (body.order_type == "limit") != (body.limit_price is not None):
        raise HTTPException(422, "field limit_price: required for limit orders, refused for market")
    return RiskRequest(
        account=body.account,
        cl_ord_id=body.cl_ord_id or f"risk-check-{uuid.uuid4().hex}",
        instrument=body.instrument,
        side=body.side,
        order_type=body.order_type,
        qty=body.qty,
        limit_price=body.limit_price,
        ts_event=time.time_ns(),
    )


async def judge_terms(gateway: Gateway, terms: RiskRequest) -> Response:
    """The verdict pre-trade risk gives ``terms`` now."""
    engine = gateway.engine

    def judge(book: AccountBook, view: View) -> RiskDecision:
        definition = view.instrument(terms.instrument)
        denial = grid_denial(definition, terms.instrument, terms.qty, terms.limit_price)
        if denial is not None:
            return decision(terms, denial)
        exposure = account_exposure(book, terms.cl_ord_id)
        return check(terms, exposure, engine.config.limits, view)

    done, verdict = engine.with_book_now(terms.account, judge)
    if not done:
        verdict = await gateway.worker.call(engine.with_book, terms.account, judge)
    answer = RiskCheckResponse(
        approved=verdict.approved,
        account=verdict.account,
        cl_ord_id=verdict.cl_ord_id,
        rule=verdict.rule,
        limit=verdict.limit,
        observed=verdict.observed,
        reason=verdict.reason,
    )
    return Response(answer.model_dump_json(), media_type="application/json")


@router.post("/kill-switch", response_model=KillSwitchResponse, responses=ERRORS)
async def kill_switch(
    body: KillSwitchRequest, request: Request, principal: KillSwitcher
) -> KillSwitchResponse:
    """Halt an account and cancel its live orders. ``*`` fans out to one command per
    account in the caller's scope (every known account for a desk-wide key), all
    appended in one transaction."""
    gateway = gateway_of(request)
    if body.account == "*":
        known = await gateway.worker.call(gateway.engine.accounts) | gateway.keys.accounts()
        if not principal.all_accounts:
            known |= principal.accounts
        targets = sorted(scoped(principal, known))
    else:
        require_account(principal, body.account)
        await known_account(gateway, body.account)
        targets = [body.account]
    commands = [
        KillSwitch.model_validate(
            {
                "account": account,
                "reason": body.reason,
                "requested_by": principal.name[:128],
                "ts_event": 0,
            }
        )
        for account in targets
    ]
    outcomes = await gateway.worker.execute([stamped(command) for command in commands])
    results = []
    for account, outcome in zip(targets, outcomes, strict=True):
        state = "unknown"
        canceled = []
        for kind, payload in outcome.decisions:
            if kind == "trading_state_changed":
                state = str(payload["state"])
            elif kind == "order_canceled":
                canceled.append(str(payload["cl_ord_id"]))
        results.append(
            KillSwitchResult(
                account=account, trading_state=state, canceled=canceled, event_id=outcome.event_id
            )
        )
    return KillSwitchResponse(accounts=results)

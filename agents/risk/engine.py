"""The pre-trade risk engine: every check of ``checks.py`` in one fixed order.

The order puts the cheapest and most fundamental refusals first (a duplicate request, a
throttled account, a halted account, a restricted instrument) and the valuations last.
The first denial wins. The same ``check`` serves the OMS inline and a standalone check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from agents.risk import checks
from agents.risk.checks import Denial
from agents.risk.exposure import ZERO, AccountExposure, OrderTerms
from agents.risk.limits import RiskLimits
from schemas import RiskDecision
from schemas.view import View
from streams.records import trusted_record

ONE = Decimal(1)

CHECK_ORDER: Final = (
    checks.DUPLICATE_CL_ORD_ID,
    checks.MESSAGE_RATE,
    checks.TRADING_STATE,
    checks.RESTRICTED_INSTRUMENT,
    checks.MAX_ORDER_QTY,
    checks.PRICE_COLLAR,
    checks.MAX_ORDER_NOTIONAL,
    checks.POSITION_LIMIT,
    checks.CREDIT_LIMIT,
)
"""The rules, in the order ``evaluate`` runs them."""


def valuation_price(request: OrderTerms, view: View) -> Decimal | None:
    """The price an order is valued at: its limit, or for a market order the far touch
    (what crossing the spread would pay), else the mid; None without a quote."""
    if request.limit_price is not None:
        return request.limit_price
    top = view.top(request.instrument)
    if top is not None:
        touch = top.ask if request.side == "buy" else top.bid
        if touch is not None:
            return touch
    return view.mid(request.instrument)


def _multiplier(view: View, instrument: str) -> Decimal:
    definition = view.instrument(instrument)
    return ONE if definition is None else definition.multiplier


def account_notional(exposure: AccountExposure, view: View) -> Decimal:
    """Open-order notional plus position notional (marked at the mid, else the last fill
    price), gross across instruments and sides, with contract multipliers."""
    total = ZERO
    for instrument, held in exposure.holdings.items():
        gross = held.buy_notional + held.sell_notional
        if held.position:
            mark = view.mid(instrument) or held.last_px or ZERO
            gross += abs(held.position) * mark
        if gross:
            total += gross * _multiplier(view, instrument)
    return total


def evaluate(
    request: OrderTerms, exposure: AccountExposure, limits: RiskLimits, view: View
) -> Denial | None:
    """The first denial in ``CHECK_ORDER``, or None when the request passes them all."""
    account = limits.for_account(request.account)
    instrument_limits = limits.for_instrument(request.instrument)
    instrument, side = request.instrument, request.side

    denial = checks.check_duplicate_cl_ord_id(request.cl_ord_id, exposure.cl_ord_id_used)
    if denial is None:
        denial = checks.check_message_rate(
            request.ts_event, exposure.message_ts, account.max_messages_per_second
        )
    if denial is not None:
        return denial

    working = exposure.working_qty(request.qty)
    position = exposure.position(instrument)
    open_same_side = exposure.open_qty(instrument, side)
    if exposure.trading_state != "ACTIVE":
        reduces = checks.reduces_exposure(side, working, position, open_same_side)
        if exposure.replacing is not None and request.qty <= exposure.replacing.qty:
            reduces = True  # shrinking a working order never adds exposure
        denial = checks.check_trading_state(exposure.trading_state, reduces)
        if denial is not None:
            return denial

    denial = checks.check_restricted(instrument, account.restricted)
    if denial is not None:
        return denial
    max_qty = account.max_order_qty
    if instrument_limits.max_order_qty is not None:
        max_qty = min(max_qty, instrument_limits.max_order_qty)
    denial = checks.check_max_qty(request.qty, max_qty)
    if denial is not None:
        return denial
    if request.limit_price is not None:
        denial = checks.check_price_collar(
            request.limit_price, view.mid(instrument), instrument_limits.price_collar_bps
        )
        if denial is not None:
            return denial

    price = valuation_price(request, view)
    multiplier = _multiplier(view, instrument)
    notional = None if price is None else request.qty * price * multiplier
    denial = checks.check_max_notional(notional, account.max_order_notional)
    if denial is not None or price is None:
        return denial

    signed = working if side == "buy" else -working
    signed_open = open_same_side if side == "buy" else -open_same_side
    denial = checks.check_position_limit(
        position + signed_open + signed, instrument_limits.position_limit
    )
    if denial is not None:
        return denial

    replaced = ZERO
    if exposure.replacing is not None:
        replaced = exposure.replacing.open_notional * multiplier
    after = account_notional(exposure, view) - replaced + working * price * multiplier
    return checks.check_credit(after, account.credit_limit)


def decision(request: OrderTerms, denial: Denial | None) -> RiskDecision:
    """The record of a verdict, for ``risk.decisions`` and for a standalone check."""
    if denial is None:
        # An approval copies what the request carried, validated when it was received:
        # built without pydantic's validation (tests/agents/risk/test_engine.py compares
        # it with a validated one). A denial carries text made here and is validated.
        return trusted_record(
            RiskDecision,
            {
                "kind": RiskDecision.KIND,
                "ts_event": request.ts_event,
                "account": request.account,
                "cl_ord_id": request.cl_ord_id,
                "approved": True,
                "rule": None,
                "limit": None,
                "observed": None,
                "reason": "approved",
            },
        )
    return RiskDecision(
        account=request.account,  # type: ignore[arg-type]
        cl_ord_id=request.cl_ord_id,  # type: ignore[arg-type]
        approved=False,
        rule=denial.rule,
        limit=denial.limit,
        observed=denial.observed,
        reason=denial.reason,
        ts_event=request.ts_event,
    )


def check(
    request: OrderTerms, exposure: AccountExposure, limits: RiskLimits, view: View
) -> RiskDecision:
    """Run every check in ``CHECK_ORDER``; the decision names the first failing rule."""
    return decision(request, evaluate(request, exposure, limits, view))

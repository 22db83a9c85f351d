"""``decide`` for order commands: submit, cancel, replace, trading state, kill switch.

Every command yields at least one ``orders.events`` record, and each new, cancel or
replace request exactly one of the kinds ``evolve`` counts as a message, so the
message-rate window and the used ClOrdIDs are rebuilt from the recorded events alone.
Cancels are counted but never throttled or refused for risk: they only reduce exposure.
"""

from __future__ import annotations

from decimal import Decimal

from agents.oms import transitions as t
from agents.oms.config import OmsConfig
from agents.oms.exposure import account_exposure
from agents.oms.state import ZERO, AccountBook, OrderRow
from agents.risk.checks import Denial
from agents.risk.engine import decision, evaluate
from agents.risk.exposure import RiskRequest
from schemas import (
    Account,
    CancelOrder,
    ClOrdId,
    InstrumentDefinition,
    InstrumentId,
    KillSwitch,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    Record,
    ReplaceOrder,
    SetTradingState,
    SubmitOrder,
    TradingStateChanged,
)
from schemas.types import MAX_ABS_DECIMAL
from schemas.view import View
from streams.records import trusted_record

UNKNOWN_INSTRUMENT = "unknown_instrument"
TICK_SIZE = "tick_size"
MAX_ID_LENGTH = 128
"""The longest ``Id`` (schemas.types): an order id is one."""
LOT_SIZE = "lot_size"


def grid_denial(
    definition: InstrumentDefinition | None,
    instrument: str,
    qty: Decimal,
    price: Decimal | None,
) -> Denial | None:
    """Refuse an unknown instrument, a price off the tick grid, a qty off the lot grid."""
    if definition is None:
        return Denial(UNKNOWN_INSTRUMENT, "a known instrument", instrument, "unknown instrument")
    if price is not None and price % definition.tick_size:
        return Denial(
            TICK_SIZE,
            f"{definition.tick_size:f}",
            f"{price:f}",
            f"price {price:f} is not a multiple of the tick size {definition.tick_size:f}",
        )
    if qty % definition.lot_size:
        return Denial(
            LOT_SIZE,
            f"{definition.lot_size:f}",
            f"{qty:f}",
            f"quantity {qty:f} is not a multiple of the lot size {definition.lot_size:f}",
        )
    return None


def on_submit(
    book: AccountBook, command: SubmitOrder, view: View, config: OmsConfig
) -> list[Record]:
    denial = grid_denial(
        config.definition(view, command.instrument),
        command.instrument,
        command.qty,
        command.limit_price,
    )
    out: list[Record] = []
    if denial is None:
        exposure = account_exposure(book, command.cl_ord_id)
        denial = evaluate(command, exposure, config.limits, view)
        if config.record_risk_decisions:
            out.append(decision(command, denial))
    if denial is not None:
        out.insert(
            0,
            OrderRejected(
                account=command.account,
                cl_ord_id=command.cl_ord_id,
                instrument=command.instrument,
                side=command.side,
                order_type=command.order_type,
                qty=command.qty,
                limit_price=command.limit_price,
                reason=denial.reason,
                rule=denial.rule,
                limit=denial.limit,
                observed=denial.observed,
                ts_command=command.ts_event,
                ts_event=command.ts_event,
            ),
        )
        return out
    out.insert(0, accepted(book, command, view.mid(command.instrument)))
    return out


def accepted(book: AccountBook, command: SubmitOrder, arrival_mid: Decimal | None) -> OrderAccepted:
    """The acceptance of ``command``, built without pydantic's validation (most of an
    order's decision time): every field is copied from the command, which was validated
    when it was logged under constraints at least as strict, except the two made here,
    which are checked as validation would check them. tests/agents/oms/test_accepted.py
    compares it with a validated OrderAccepted."""
    order_id = f"{book.account}-{book.accepted + 1}"
    if len(order_id) > MAX_ID_LENGTH:
        raise ValueError(f"order id {order_id[:40]!r}... is longer than {MAX_ID_LENGTH}")
    if arrival_mid is not None and not ZERO < arrival_mid < MAX_ABS_DECIMAL:
        raise ValueError(f"arrival mid {arrival_mid} is not a positive price")
    return trusted_record(
        OrderAccepted,
        {
            "kind": OrderAccepted.KIND,
            "ts_event": command.ts_event,
            "account": command.account,
            "cl_ord_id": command.cl_ord_id,
            "order_id": order_id,
            "instrument": command.instrument,
            "side": command.side,
            "order_type": command.order_type,
            "qty": command.qty,
            "limit_price": command.limit_price,
            "tif": command.tif,
            "expire_ts": command.expire_ts,
            "arrival_mid": arrival_mid,
            "ts_command": command.ts_event,
        },
    )


def locate(book: AccountBook, orig_cl_ord_id: str) -> tuple[OrderRow | None, str]:
    """The live order whose current ClOrdID is ``orig_cl_ord_id``, or why there is none."""
    order_id = book.live_ids.get(orig_cl_ord_id)
    if order_id is None:
        if orig_cl_ord_id in book.used_cl_ord_ids:
            return None, (
                f"order {orig_cl_ord_id!r} is closed (filled, canceled or expired) "
                "or was never accepted"
            )
        return None, f"unknown order {orig_cl_ord_id!r}"
    order = book.orders[order_id]
    if order.cl_ord_id != orig_cl_ord_id:
        return None, (
            f"OrigClOrdID {orig_cl_ord_id!r} was replaced; "
            f"the order's current ClOrdID is {order.cl_ord_id!r}"
        )
    return order, ""


def _duplicate(book: AccountBook, cl_ord_id: str) -> str:
    if cl_ord_id in book.used_cl_ord_ids:
        return f"duplicate ClOrdID {cl_ord_id!r}"
    return ""


def on_cancel(
    book: AccountBook, command: CancelOrder, view: View, config: OmsConfig
) -> list[Record]:
    order, reason = locate(book, command.orig_cl_ord_id)
    reason = _duplicate(book, command.cl_ord_id) or reason
    if order is not None and not reason and not t.allowed(order.status, t.CANCEL):
        reason = f"order is {order.status}"
    if order is None or reason:
        return [
            OrderCancelRejected(
                account=command.account,
                cl_ord_id=command.cl_ord_id,
                orig_cl_ord_id=command.orig_cl_ord_id,
                reason=reason,
                ts_event=command.ts_event,
            )
        ]
    return [_canceled(book, order, command.ts_event, "canceled on request", command.cl_ord_id)]


def _canceled(
    book: AccountBook, order: OrderRow, ts: int, reason: str, cancel_id: str | None = None
) -> OrderCanceled:
    return OrderCanceled(
        account=Account(book.account),
        cl_ord_id=ClOrdId(order.cl_ord_id),
        order_id=order.order_id,
        instrument=InstrumentId(order.instrument),
        cancel_cl_ord_id=None if cancel_id is None else ClOrdId(cancel_id),
        cum_qty=order.cum_qty,
        reason=reason,
        ts_event=ts,
    )


def _replace_problem(
    order: OrderRow, command: ReplaceOrder, view: View, config: OmsConfig
) -> tuple[Decimal | None, str]:
    """The replaced order's new limit price, or a reason to refuse the replace."""
    if order.order_type == "market":
        if command.limit_price is not None:
            return None, "a market order takes no limit price"
        price = None
    else:
        price = order.limit_price if command.limit_price is None else command.limit_price
    if command.qty < order.cum_qty:
        return None, f"new quantity {command.qty:f} is below the executed {order.cum_qty:f}"
    kind = t.replaced_kind(order.cum_qty, command.qty - order.cum_qty)
    if not t.allowed(order.status, kind):
        return None, f"order is {order.status}"
    denial = grid_denial(
        config.definition(view, order.instrument), order.instrument, command.qty, price
    )
    if denial is not None:
        return None, f"{denial.rule}: {denial.reason}"
    return price, ""


def on_replace(
    book: AccountBook, command: ReplaceOrder, view: View, config: OmsConfig
) -> list[Record]:
    order, reason = locate(book, command.orig_cl_ord_id)
    reason = _duplicate(book, command.cl_ord_id) or reason
    price: Decimal | None = None
    if order is not None and not reason:
        price, reason = _replace_problem(order, command, view, config)
    out: list[Record] = []
    if order is not None and not reason:
        terms = RiskRequest(
            account=command.account,
            cl_ord_id=command.cl_ord_id,
            instrument=order.instrument,
            side=order.side,
            order_type=order.order_type,
            qty=command.qty,
            limit_price=price,
            ts_event=command.ts_event,
        )
        denial = evaluate(
            terms, account_exposure(book, command.cl_ord_id, order), config.limits, view
        )
        if config.record_risk_decisions:
            out.append(decision(terms, denial))
        if denial is not None:
            reason = (
                f"{denial.rule}: {denial.reason} (limit {denial.limit}, observed {denial.observed})"
            )
    if order is None or reason:
        out.insert(
            0,
            OrderReplaceRejected(
                account=command.account,
                cl_ord_id=command.cl_ord_id,
                orig_cl_ord_id=command.orig_cl_ord_id,
                reason=reason,
                ts_event=command.ts_event,
            ),
        )
        return out
    replaced = OrderReplaced(
        account=command.account,
        cl_ord_id=command.cl_ord_id,
        order_id=order.order_id,
        instrument=InstrumentId(order.instrument),
        orig_cl_ord_id=ClOrdId(order.cl_ord_id),
        qty=command.qty,
        limit_price=price,
        leaves_qty=command.qty - order.cum_qty,
        ts_event=command.ts_event,
    )
    out.insert(0, replaced)
    return out


def on_set_trading_state(
    book: AccountBook, command: SetTradingState, view: View, config: OmsConfig
) -> list[Record]:
    """Account ``*`` is not fanned out here (state is per account): the gateway sends one
    command per account; a ``*`` command only changes the book keyed ``*``."""
    return [
        TradingStateChanged(
            account=command.account,
            state=command.state,
            reason=command.reason,
            ts_event=command.ts_event,
        )
    ]


def on_kill_switch(
    book: AccountBook, command: KillSwitch, view: View, config: OmsConfig
) -> list[Record]:
    """HALTED, then every live order canceled, oldest first. Account ``*``: as above,
    the gateway fans it out per account."""
    halted = TradingStateChanged(
        account=command.account,
        state="HALTED",
        reason=f"kill switch by {command.requested_by}: {command.reason}",
        ts_event=command.ts_event,
    )
    reason = f"kill switch: {command.reason}"
    live = sorted(book.orders.values(), key=lambda order: order.seq)
    return [halted, *(_canceled(book, order, command.ts_event, reason) for order in live)]

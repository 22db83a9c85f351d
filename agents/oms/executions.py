"""``decide`` for execution reports: fills and venue-side cancels.

A fill is matched by ClOrdID (the order's current one or any earlier one). What cannot be
matched is not an order event: it goes to ``compliance.alerts`` (the positions agent
still counts the fill from ``exec.reports``). An overfill is recorded up to the order's
leaves, so cum never exceeds qty, and the excess is flagged.
"""

from __future__ import annotations

from decimal import Decimal

from agents.oms.state import AccountBook, OrderRow
from schemas import (
    Account,
    ClOrdId,
    ComplianceAlert,
    ExecCanceled,
    Fill,
    InstrumentId,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    Record,
)

UNKNOWN_ORDER_FILL = "unknown_order_fill"
FILL_MISMATCH = "fill_mismatch"
OVERFILL = "overfill"


def alert(fill: Fill, rule: str, detail: str) -> ComplianceAlert:
    """One alert per (rule, ExecID): a repeated delivery repeats the same alert id."""
    return ComplianceAlert(
        alert_id=f"oms:{rule}:{fill.account}:{fill.exec_id}",
        rule=rule,
        account=fill.account,
        instrument=fill.instrument,
        window_start_ts=fill.ts_event,
        window_end_ts=fill.ts_event,
        evidence=(f"fill:{fill.account}:{fill.exec_id}",),
        detail=detail,
        ts_event=fill.ts_event,
    )


def _unmatched(book: AccountBook, fill: Fill) -> ComplianceAlert:
    cl_ord_id = fill.cl_ord_id
    if cl_ord_id is None:
        detail = "fill carries no ClOrdID"
    elif cl_ord_id in book.used_cl_ord_ids:
        detail = f"fill for ClOrdID {cl_ord_id!r}, which names no live order"
    else:
        detail = f"fill for unknown ClOrdID {cl_ord_id!r}"
    return alert(fill, UNKNOWN_ORDER_FILL, f"{detail} (exec {fill.exec_id}, qty {fill.qty:f})")


def on_fill(book: AccountBook, fill: Fill) -> list[Record]:
    if fill.exec_id in book.exec_ids:
        return []
    order_id = None if fill.cl_ord_id is None else book.live_ids.get(fill.cl_ord_id)
    if order_id is None:
        return [_unmatched(book, fill)]
    order = book.orders[order_id]
    if fill.instrument != order.instrument or fill.side != order.side:
        return [
            alert(
                fill,
                FILL_MISMATCH,
                f"fill {fill.side} {fill.instrument} does not match order {order.order_id} "
                f"({order.side} {order.instrument}); not applied",
            )
        ]
    last_qty = min(fill.qty, order.leaves_qty)
    out: list[Record] = [execution(book, order, fill, last_qty)]
    if fill.qty > last_qty:
        excess = fill.qty - last_qty
        out.append(
            alert(
                fill,
                OVERFILL,
                f"fill of {fill.qty:f} exceeds the {last_qty:f} left on order "
                f"{order.order_id}; recorded {last_qty:f}, excess {excess:f}",
            )
        )
    return out


def execution(
    book: AccountBook, order: OrderRow, fill: Fill, last_qty: Decimal
) -> OrderFilled | OrderPartiallyFilled:
    cum = order.cum_qty + last_qty
    leaves = order.qty - cum
    avg_px = (order.filled_notional + last_qty * fill.price) / cum
    event_type = OrderPartiallyFilled if leaves else OrderFilled
    return event_type(
        account=Account(book.account),
        cl_ord_id=ClOrdId(order.cl_ord_id),
        order_id=order.order_id,
        instrument=InstrumentId(order.instrument),
        exec_id=fill.exec_id,
        side=order.side,
        last_qty=last_qty,
        last_px=fill.price,
        cum_qty=cum,
        leaves_qty=leaves,
        avg_px=avg_px,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        ts_event=fill.ts_event,
    )


def on_exec_canceled(book: AccountBook, report: ExecCanceled) -> list[Record]:
    """The venue canceled or expired the rest of an order. An order the OMS already
    closed (it canceled it first) needs nothing more."""
    order = book.orders.get(report.order_id)
    if order is None:
        order_id = book.live_ids.get(report.cl_ord_id)
        order = None if order_id is None else book.orders[order_id]
    if order is None:
        return []
    if report.expired:
        return [
            OrderExpired(
                account=Account(book.account),
                cl_ord_id=ClOrdId(order.cl_ord_id),
                order_id=order.order_id,
                instrument=InstrumentId(order.instrument),
                cum_qty=order.cum_qty,
                ts_event=report.ts_event,
            )
        ]
    return [
        OrderCanceled(
            account=Account(book.account),
            cl_ord_id=ClOrdId(order.cl_ord_id),
            order_id=order.order_id,
            instrument=InstrumentId(order.instrument),
            cancel_cl_ord_id=None,
            cum_qty=order.cum_qty,
            reason=report.reason,
            ts_event=report.ts_event,
        )
    ]

"""The OMS as decide + evolve (ARCHITECTURE.md "Decide, then evolve").

``decide(book, input, view, config)`` turns a command or an execution report into
``orders.events`` records (plus routed risk decisions and compliance alerts); it never
changes the book. ``evolve(book, event)`` folds one recorded ``orders.events`` record;
replay runs it alone, so it reads nothing but the event. It finishes every check that
could raise before its first change, then updates the book in place (O(1) per event,
except a kill switch, which touches each live order once).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable
from typing import Any

from agents.oms import transitions as t
from agents.oms.config import OmsConfig
from agents.oms.executions import on_exec_canceled, on_fill
from agents.oms.requests import (
    on_cancel,
    on_kill_switch,
    on_replace,
    on_set_trading_state,
    on_submit,
)
from agents.oms.state import MAX_MESSAGE_TIMES, ZERO, AccountBook, Holding, OrderRow
from agents.risk.checks import SECOND_NS
from schemas import Record, TapelineError
from schemas.view import View

COMMAND_KINDS = frozenset(
    {"submit_order", "cancel_order", "replace_order", "set_trading_state", "kill_switch"}
)
EXECUTION_KINDS = frozenset({"fill", "exec_canceled"})

_DECIDERS: dict[str, Callable[[AccountBook, Any, View, OmsConfig], list[Record]]] = {
    "submit_order": on_submit,
    "cancel_order": on_cancel,
    "replace_order": on_replace,
    "set_trading_state": on_set_trading_state,
    "kill_switch": on_kill_switch,
    "fill": lambda book, fill, view, config: on_fill(book, fill),
    "exec_canceled": lambda book, report, view, config: on_exec_canceled(book, report),
}


class CorruptOrderEventError(TapelineError):
    """An orders.events record contradicts the book it is folded into."""


def decide(book: AccountBook, item: Any, view: View, config: OmsConfig) -> list[Record]:
    """The events one command or execution report leads to (the first is the order
    event; routed records follow it)."""
    decider = _DECIDERS.get(item.kind)
    if decider is None:
        raise ValueError(f"the OMS does not handle {item.kind!r} records")
    return decider(book, item, view, config)


# --- evolve -----------------------------------------------------------------------


def _order(book: AccountBook, event: Any) -> OrderRow:
    order = book.orders.get(event.order_id)
    if order is None:
        raise CorruptOrderEventError(
            f"{event.kind} for order {event.order_id!r}, which is not live in account "
            f"{book.account!r}"
        )
    return order


def _holding(book: AccountBook, instrument: str) -> Holding:
    holding = book.holdings.get(instrument)
    if holding is None:
        holding = book.holdings[instrument] = Holding()
    return holding


def _work(book: AccountBook, order: OrderRow, sign: int) -> None:
    """Add (+1) or remove (-1) the order's leaves from its side's working totals."""
    holding = _holding(book, order.instrument)
    qty = order.leaves_qty if sign > 0 else -order.leaves_qty
    notional = qty * order.exposure_price
    if order.side == "buy":
        holding.buy_qty += qty
        holding.buy_notional += notional
    else:
        holding.sell_qty += qty
        holding.sell_notional += notional


def _close(book: AccountBook, order: OrderRow) -> None:
    """Terminal: the order leaves the live set; its ClOrdIDs stay used."""
    order.leaves_qty = ZERO
    del book.orders[order.order_id]
    book.live_ids.pop(order.cl_ord_id, None)
    for earlier in order.orig_cl_ord_ids:
        book.live_ids.pop(earlier, None)


def _message(book: AccountBook, cl_ord_id: str, ts: int) -> None:
    """A new, replace or cancel request: its ClOrdID is used and it counts for the rate."""
    book.used_cl_ord_ids.add(cl_ord_id)
    times = book.message_ts
    insort(times, ts)
    drop = max(bisect_right(times, times[-1] - SECOND_NS), len(times) - MAX_MESSAGE_TIMES)
    if drop > 0:
        del times[:drop]


def _accepted(book: AccountBook, event: Any) -> None:
    status = t.next_status(t.PENDING_NEW, t.ACCEPT, event.order_id)
    if event.order_id in book.orders or event.cl_ord_id in book.live_ids:
        raise CorruptOrderEventError(f"order {event.order_id!r} accepted twice")
    order = OrderRow(
        seq=book.accepted + 1,
        order_id=event.order_id,
        cl_ord_id=event.cl_ord_id,
        instrument=event.instrument,
        side=event.side,
        order_type=event.order_type,
        tif=event.tif,
        expire_ts=event.expire_ts,
        qty=event.qty,
        limit_price=event.limit_price,
        status=status,
        leaves_qty=event.qty,
        arrival_mid=event.arrival_mid,
        ts_accepted=event.ts_event,
        ts_last=event.ts_event,
    )
    book.orders[order.order_id] = order
    book.live_ids[order.cl_ord_id] = order.order_id
    book.accepted += 1
    _work(book, order, +1)
    _message(book, event.cl_ord_id, event.ts_event)


def _rejected(book: AccountBook, event: Any) -> None:
    book.rejected += 1
    _message(book, event.cl_ord_id, event.ts_event)


def _request_rejected(book: AccountBook, event: Any) -> None:
    """A refused cancel or replace: nothing changes but the ClOrdID and the rate count."""
    _message(book, event.cl_ord_id, event.ts_event)


def _executed(book: AccountBook, event: Any) -> None:
    order = _order(book, event)
    cum = order.cum_qty + event.last_qty
    leaves = order.qty - cum
    if event.exec_id in book.exec_ids:
        raise CorruptOrderEventError(f"exec {event.exec_id!r} recorded twice")
    if cum != event.cum_qty or leaves != event.leaves_qty:
        raise CorruptOrderEventError(
            f"exec {event.exec_id!r}: cum {event.cum_qty} / leaves {event.leaves_qty} do not "
            f"follow from order {order.order_id} (qty {order.qty}, cum {order.cum_qty})"
        )
    if (event.kind == "order_filled") != (not leaves):
        raise CorruptOrderEventError(f"exec {event.exec_id!r}: {event.kind} with leaves {leaves}")
    status = t.next_status(order.status, t.fill_kind(leaves), order.order_id)
    _work(book, order, -1)
    order.cum_qty = cum
    order.leaves_qty = leaves
    order.filled_notional += event.last_qty * event.last_px
    order.avg_px = event.avg_px
    order.status = status
    order.ts_last = event.ts_event
    _work(book, order, +1)
    holding = _holding(book, order.instrument)
    holding.position += event.last_qty if order.side == "buy" else -event.last_qty
    holding.last_px = event.last_px
    book.exec_ids.add(event.exec_id)
    book.executions += 1
    if status in t.TERMINAL:
        book.filled += 1
        _close(book, order)


def _canceled(book: AccountBook, event: Any) -> None:
    order = _order(book, event)
    status = t.next_status(order.status, t.CANCEL, order.order_id)
    if event.cancel_cl_ord_id is not None:
        _message(book, event.cancel_cl_ord_id, event.ts_event)
    _work(book, order, -1)
    order.status = status
    order.ts_last = event.ts_event
    book.canceled += 1
    _close(book, order)


def _expired(book: AccountBook, event: Any) -> None:
    order = _order(book, event)
    status = t.next_status(order.status, t.EXPIRE, order.order_id)
    _work(book, order, -1)
    order.status = status
    order.ts_last = event.ts_event
    book.expired += 1
    _close(book, order)


def _replaced(book: AccountBook, event: Any) -> None:
    order = _order(book, event)
    if event.orig_cl_ord_id != order.cl_ord_id or event.cl_ord_id in book.live_ids:
        raise CorruptOrderEventError(
            f"replace {event.orig_cl_ord_id!r} -> {event.cl_ord_id!r} does not follow order "
            f"{order.order_id} (current ClOrdID {order.cl_ord_id!r})"
        )
    if event.qty - order.cum_qty != event.leaves_qty:
        raise CorruptOrderEventError(
            f"replace of {order.order_id}: leaves {event.leaves_qty} != qty {event.qty} "
            f"- cum {order.cum_qty}"
        )
    status = t.next_status(
        order.status, t.replaced_kind(order.cum_qty, event.leaves_qty), order.order_id
    )
    _work(book, order, -1)
    _message(book, event.cl_ord_id, event.ts_event)
    order.orig_cl_ord_ids = (*order.orig_cl_ord_ids, order.cl_ord_id)
    order.cl_ord_id = event.cl_ord_id
    order.qty = event.qty
    order.limit_price = event.limit_price
    order.leaves_qty = event.leaves_qty
    order.status = status
    order.ts_last = event.ts_event
    book.live_ids[event.cl_ord_id] = order.order_id
    book.replaced += 1
    _work(book, order, +1)
    if status in t.TERMINAL:
        book.filled += 1
        _close(book, order)


def _trading_state(book: AccountBook, event: Any) -> None:
    book.trading_state = event.state


_EVOLVERS: dict[str, Callable[[AccountBook, Any], None]] = {
    "order_accepted": _accepted,
    "order_rejected": _rejected,
    "order_partially_filled": _executed,
    "order_filled": _executed,
    "order_canceled": _canceled,
    "order_replaced": _replaced,
    "order_expired": _expired,
    "order_cancel_rejected": _request_rejected,
    "order_replace_rejected": _request_rejected,
    "trading_state_changed": _trading_state,
}
OUTPUT_KINDS = frozenset(_EVOLVERS)


def evolve(book: AccountBook, event: Any) -> AccountBook:
    """Fold one recorded orders.events record into ``book`` (in place) and return it."""
    evolver = _EVOLVERS.get(event.kind)
    if evolver is None:
        raise ValueError(f"orders.events does not carry {event.kind!r} records")
    evolver(book, event)
    return book

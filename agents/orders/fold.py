"""Folding ``orders.events`` into one row per order: pure, constant work per event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from agents.orders.state import ZERO, OrderView

REJECTED_PREFIX = "rejected:"

ORDER_KINDS = frozenset(
    {
        "order_accepted",
        "order_rejected",
        "order_partially_filled",
        "order_filled",
        "order_canceled",
        "order_replaced",
        "order_expired",
    }
)
"""Kinds that change an order row. Cancel/replace rejections leave the order as it was
(the OMS answers them directly, never through a pending status) and trading-state
changes belong to the account: both are skipped on purpose."""


def order_key(event: Any) -> str:
    """``account|order_id``; a refused request has no order id, so its ClOrdID stands in."""
    if event.kind == "order_rejected":
        return f"{event.account}|{REJECTED_PREFIX}{event.cl_ord_id}"
    return f"{event.account}|{event.order_id}"


def initial(key: str) -> OrderView:
    account, _, order_id = key.partition("|")
    return OrderView(account=account, order_id=order_id)


def _accepted(row: OrderView, event: Any, ts: int) -> OrderView:
    return msgspec.structs.replace(
        row,
        root_cl_ord_id=event.cl_ord_id,
        cl_ord_id=event.cl_ord_id,
        instrument=event.instrument,
        side=event.side,
        order_type=event.order_type,
        tif=event.tif,
        limit_price=event.limit_price,
        qty=event.qty,
        leaves_qty=event.qty,
        status="New",
        arrival_mid=event.arrival_mid,
        ts_accepted=event.ts_event,
        ts_last=ts,
    )


def _rejected(row: OrderView, event: Any, ts: int) -> OrderView:
    return msgspec.structs.replace(
        row,
        root_cl_ord_id=event.cl_ord_id,
        cl_ord_id=event.cl_ord_id,
        instrument=event.instrument,
        side=event.side or row.side,
        order_type=event.order_type or row.order_type,
        qty=event.qty if event.qty is not None else row.qty,
        limit_price=event.limit_price,
        status="Rejected",
        reject_rule=event.rule,
        reject_reason=event.reason,
        ts_last=ts,
    )


def _executed(row: OrderView, event: Any, ts: int) -> OrderView:
    return msgspec.structs.replace(
        row,
        cl_ord_id=event.cl_ord_id,
        cum_qty=event.cum_qty,
        leaves_qty=event.leaves_qty,
        avg_px=event.avg_px,
        status="Filled" if event.kind == "order_filled" else "PartiallyFilled",
        fills=row.fills + 1,
        ts_last=ts,
    )


def _replaced(row: OrderView, event: Any, ts: int) -> OrderView:
    """New, PartiallyFilled or Filled by quantity (DOMAIN.md)."""
    status = "PartiallyFilled" if row.cum_qty else "New"
    return msgspec.structs.replace(
        row,
        cl_ord_id=event.cl_ord_id,
        qty=event.qty,
        limit_price=event.limit_price,
        leaves_qty=event.leaves_qty,
        status=status if event.leaves_qty else "Filled",
        replaces=row.replaces + 1,
        ts_last=ts,
    )


def _canceled(row: OrderView, event: Any, ts: int) -> OrderView:
    return msgspec.structs.replace(
        row, status="Canceled", leaves_qty=ZERO, cancel_reason=event.reason, ts_last=ts
    )


def _expired(row: OrderView, event: Any, ts: int) -> OrderView:
    return msgspec.structs.replace(row, status="Expired", leaves_qty=ZERO, ts_last=ts)


_APPLY: dict[str, Callable[[OrderView, Any, int], OrderView]] = {
    "order_accepted": _accepted,
    "order_rejected": _rejected,
    "order_partially_filled": _executed,
    "order_filled": _executed,
    "order_replaced": _replaced,
    "order_canceled": _canceled,
    "order_expired": _expired,
}


def apply_order_event(row: OrderView, event: Any) -> OrderView:
    apply = _APPLY.get(event.kind)
    if apply is None:
        raise ValueError(f"the orders table does not fold {event.kind!r} records")
    return apply(row, event, max(row.ts_last, event.ts_event))

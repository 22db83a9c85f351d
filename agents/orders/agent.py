"""orders: one row per order, folded from ``orders.events`` (``tapeline query orders``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from agents.orders.fold import ORDER_KINDS, apply_order_event, initial, order_key
from agents.orders.state import OrderView
from streams.agent import Agent
from streams.topics import ORDERS_EVENTS

NAME = "orders"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def present(key: str, row: OrderView, tables: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-friendly row: decimals as strings, times as integer ns."""
    return {
        "account": row.account,
        "order_id": row.order_id,
        "cl_ord_id": row.cl_ord_id,
        "root_cl_ord_id": row.root_cl_ord_id,
        "instrument": row.instrument,
        "side": row.side,
        "order_type": row.order_type,
        "tif": row.tif,
        "limit_price": _text(row.limit_price),
        "qty": _text(row.qty),
        "cum_qty": _text(row.cum_qty),
        "leaves_qty": _text(row.leaves_qty),
        "avg_px": _text(row.avg_px) if row.cum_qty else None,
        "status": row.status,
        "arrival_mid": _text(row.arrival_mid),
        "reject_rule": row.reject_rule,
        "reject_reason": row.reject_reason,
        "cancel_reason": row.cancel_reason,
        "fills": row.fills,
        "replaces": row.replaces,
        "ts_accepted": row.ts_accepted,
        "ts_last": row.ts_last,
    }


def build() -> Agent[OrderView]:
    return Agent(
        name=NAME,
        inputs=(ORDERS_EVENTS,),
        kinds=ORDER_KINDS,
        state_type=OrderView,
        initial=initial,
        state_key=order_key,
        evolve=apply_order_event,
        present=present,
    )

"""Order-event factories and a harness that feeds the venue as the runtime does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.venue import VenueFees, build
from agents.venue.state import Book
from agents.view import TablesView
from schemas import (
    ExecCanceled,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderReplaced,
    Record,
)
from streams.codec import decode_payload
from streams.state import decode_state, encode_state
from tests.factories import BTC, T0, make

D = Decimal


def accepted(**fields: Any) -> OrderAccepted:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "side": "buy",
        "order_type": "limit",
        "qty": "1",
        "limit_price": "10000",
        "tif": "DAY",
        "ts_command": T0,
        "ts_event": T0,
    }
    return make(OrderAccepted, defaults, fields)


def market(**fields: Any) -> OrderAccepted:
    return accepted(**{"order_type": "market", "limit_price": None, "tif": "IOC", **fields})


def replaced(**fields: Any) -> OrderReplaced:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-2",
        "orig_cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "qty": "2",
        "limit_price": "10000",
        "leaves_qty": "2",
        "ts_event": T0,
    }
    return make(OrderReplaced, defaults, fields)


def canceled(**fields: Any) -> OrderCanceled:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "cum_qty": "0",
        "reason": "user",
        "ts_event": T0,
    }
    return make(OrderCanceled, defaults, fields)


def expired(**fields: Any) -> OrderExpired:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "cum_qty": "0",
        "ts_event": T0,
    }
    return make(OrderExpired, defaults, fields)


class Venue:
    """Runs the venue agent over records, decoded from their wire bytes like the runtime
    does, and keeps one book per instrument."""

    def __init__(self, fees: VenueFees | None = None) -> None:
        self.agent = build(fees)
        self.view = TablesView({}, InstrumentRegistry())
        self.books: dict[str, Book] = {}

    def send(self, record: Record) -> list[Record]:
        payload = decode_payload(record.KIND, record.model_dump_json().encode())
        key = self.agent.state_key(payload)
        book = self.books.get(key) or self.agent.initial(key)
        assert self.agent.process is not None
        book, out = self.agent.process(book, payload, self.view)
        self.books[key] = book
        return list(out)

    def book(self, instrument: str = BTC) -> Book:
        return self.books[instrument]

    def reload(self) -> None:
        """Crash recovery: every book through its stored bytes and back."""
        self.books = {
            key: decode_state(self.agent, encode_state(book)) for key, book in self.books.items()
        }


def fills(records: list[Record]) -> list[Fill]:
    return [r for r in records if isinstance(r, Fill)]


def cancels(records: list[Record]) -> list[ExecCanceled]:
    return [r for r in records if isinstance(r, ExecCanceled)]


def summary(records: list[Record]) -> list[tuple[str, ...]]:
    """Compact, comparable view of outputs: fills as (exec_id, qty, price, liquidity),
    cancels as ("canceled", order_id, qty, reason)."""
    rows: list[tuple[str, ...]] = []
    for r in records:
        if isinstance(r, Fill):
            rows.append((r.exec_id, str(r.qty), str(r.price), str(r.liquidity)))
        elif isinstance(r, ExecCanceled):
            rows.append(("canceled", r.order_id, str(r.canceled_qty), r.reason))
    return rows

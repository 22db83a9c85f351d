"""Order-event factories and a fixed reference view for the exeq tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from schemas import (
    InstrumentDefinition,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReplaced,
    Quote,
    Trade,
)
from schemas.view import TopOfBook
from tests.factories import BTC, T0

MS = 1_000_000
SECOND = 1_000_000_000


class FixedView:
    """A view with fixed mids (tests of agents that mark through the view)."""

    def __init__(self, mids: dict[str, Decimal] | None = None) -> None:
        self.mids = mids or {}
        self.registry = InstrumentRegistry()

    def mid(self, instrument: str) -> Decimal | None:
        return self.mids.get(instrument)

    def top(self, instrument: str) -> TopOfBook | None:
        return None

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        return self.registry.get(instrument)


def _base(fields: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "ts_event": T0,
    }
    data.update(fields)
    return data


def accepted(**fields: Any) -> OrderAccepted:
    data = {
        "side": "buy",
        "order_type": "limit",
        "qty": "1",
        "limit_price": "100",
        "tif": "GTC",
        "arrival_mid": "100",
        "ts_command": T0 - 1000,
        **fields,
    }
    return OrderAccepted.model_validate(_base(data))


def _execution(**fields: Any) -> dict[str, Any]:
    data = {
        "exec_id": "E-1",
        "side": "buy",
        "last_qty": "1",
        "last_px": "100",
        "cum_qty": fields.get("last_qty", "1"),
        "leaves_qty": "0",
        "avg_px": fields.get("last_px", "100"),
        "fee": "0",
        "fee_currency": "USDT",
        **fields,
    }
    return _base(data)


def partial(**fields: Any) -> OrderPartiallyFilled:
    return OrderPartiallyFilled.model_validate(_execution(**fields))


def filled(**fields: Any) -> OrderFilled:
    return OrderFilled.model_validate(_execution(**fields))


def canceled(**fields: Any) -> OrderCanceled:
    return OrderCanceled.model_validate(_base({"cum_qty": "0", "reason": "user", **fields}))


def expired(**fields: Any) -> OrderExpired:
    return OrderExpired.model_validate(_base({"cum_qty": "0", **fields}))


def replaced(**fields: Any) -> OrderReplaced:
    data = {"cl_ord_id": "C-2", "orig_cl_ord_id": "C-1", "qty": "2", "leaves_qty": "2"}
    return OrderReplaced.model_validate(_base({**data, **fields}))


def quote_mid(mid: str, ts: int, half_spread: str = "0.1", instrument: str = BTC) -> Quote:
    centre, half = Decimal(mid), Decimal(half_spread)
    return Quote.model_validate(
        {
            "instrument": instrument,
            "bid": str(centre - half),
            "bid_size": "1",
            "ask": str(centre + half),
            "ask_size": "1",
            "ts_event": ts,
            "ts_recv": ts,
        }
    )


def market_trade(price: str, size: str, ts: int, trade_id: str = "T-1") -> Trade:
    return Trade.model_validate(
        {
            "instrument": BTC,
            "trade_id": trade_id,
            "price": price,
            "size": size,
            "aggressor": "buy",
            "ts_event": ts,
            "ts_recv": ts,
        }
    )

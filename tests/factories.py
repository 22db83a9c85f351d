"""A factory per record kind, with sensible defaults; override any field by keyword."""

from __future__ import annotations

from typing import Any, TypeVar

from schemas import (
    CancelOrder,
    Fill,
    Quote,
    Record,
    ReplaceOrder,
    SubmitOrder,
    Trade,
)

BTC = "binance-futures:BTCUSDT"
T0 = 1_582_329_600_000_000_000


R = TypeVar("R", bound=Record)


def make(model: type[R], defaults: dict[str, Any], fields: dict[str, Any]) -> R:
    """``model`` validated from ``defaults`` with ``fields`` overriding them."""
    return model.model_validate({**defaults, **fields})


def fill(**fields: Any) -> Fill:
    defaults: dict[str, Any] = {
        "exec_id": "X-1",
        "account": "ACC-1",
        "instrument": BTC,
        "side": "buy",
        "qty": "1",
        "price": "10000",
        "fee": "0",
        "fee_currency": "USDT",
        "ts_event": T0,
    }
    return make(Fill, defaults, fields)


def quote(**fields: Any) -> Quote:
    defaults: dict[str, Any] = {
        "instrument": BTC,
        "bid": "9999.5",
        "bid_size": "1",
        "ask": "10000.5",
        "ask_size": "1",
        "ts_event": T0,
        "ts_recv": T0,
    }
    return make(Quote, defaults, fields)


def trade(**fields: Any) -> Trade:
    defaults: dict[str, Any] = {
        "instrument": BTC,
        "trade_id": "T-1",
        "price": "10000",
        "size": "0.5",
        "aggressor": "buy",
        "ts_event": T0,
        "ts_recv": T0,
    }
    return make(Trade, defaults, fields)


def submit(**fields: Any) -> SubmitOrder:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "instrument": BTC,
        "side": "buy",
        "order_type": "limit",
        "qty": "1",
        "limit_price": "10000",
        "tif": "DAY",
        "ts_event": T0,
    }
    return make(SubmitOrder, defaults, fields)


def cancel(**fields: Any) -> CancelOrder:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-2",
        "orig_cl_ord_id": "C-1",
        "ts_event": T0,
    }
    return make(CancelOrder, defaults, fields)


def replace(**fields: Any) -> ReplaceOrder:
    defaults: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-2",
        "orig_cl_ord_id": "C-1",
        "qty": "2",
        "limit_price": "10000",
        "ts_event": T0,
    }
    return make(ReplaceOrder, defaults, fields)

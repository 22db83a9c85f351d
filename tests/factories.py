"""A factory per record kind, with sensible defaults; override any field by keyword."""

from __future__ import annotations

from typing import Any

from schemas import (
    CancelOrder,
    Fill,
    Quote,
    ReplaceOrder,
    SubmitOrder,
    Trade,
)

BTC = "binance-futures:BTCUSDT"
T0 = 1_582_329_600_000_000_000


def fill(**fields: Any) -> Fill:
    data: dict[str, Any] = {
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
    data.update(fields)
    return Fill.model_validate(data)


def quote(**fields: Any) -> Quote:
    data: dict[str, Any] = {
        "instrument": BTC,
        "bid": "9999.5",
        "bid_size": "1",
        "ask": "10000.5",
        "ask_size": "1",
        "ts_event": T0,
        "ts_recv": T0,
    }
    data.update(fields)
    return Quote.model_validate(data)


def trade(**fields: Any) -> Trade:
    data: dict[str, Any] = {
        "instrument": BTC,
        "trade_id": "T-1",
        "price": "10000",
        "size": "0.5",
        "aggressor": "buy",
        "ts_event": T0,
        "ts_recv": T0,
    }
    data.update(fields)
    return Trade.model_validate(data)


def submit(**fields: Any) -> SubmitOrder:
    data: dict[str, Any] = {
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
    data.update(fields)
    return SubmitOrder.model_validate(data)


def cancel(**fields: Any) -> CancelOrder:
    data: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-2",
        "orig_cl_ord_id": "C-1",
        "ts_event": T0,
    }
    data.update(fields)
    return CancelOrder.model_validate(data)


def replace(**fields: Any) -> ReplaceOrder:
    data: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-2",
        "orig_cl_ord_id": "C-1",
        "qty": "2",
        "limit_price": "10000",
        "ts_event": T0,
    }
    data.update(fields)
    return ReplaceOrder.model_validate(data)

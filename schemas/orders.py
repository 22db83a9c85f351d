"""Order commands: imperative requests that the OMS accepts or rejects."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from schemas.base import Record
from schemas.types import (
    Account,
    ClOrdId,
    Id,
    InstrumentId,
    OrderType,
    PositiveDec,
    Side,
    TimeInForce,
    TradingState,
    TsNs,
)


class SubmitOrder(Record):
    kind: Literal["submit_order"] = "submit_order"
    account: Account
    cl_ord_id: ClOrdId
    instrument: InstrumentId
    side: Side
    order_type: OrderType
    qty: PositiveDec
    limit_price: PositiveDec | None = None
    tif: TimeInForce = "DAY"
    expire_ts: TsNs | None = None

    @model_validator(mode="after")
    def _price_matches_type(self) -> SubmitOrder:
        if self.order_type == "limit" and self.limit_price is None:
            raise ValueError("a limit order needs limit_price")
        if self.order_type == "market" and self.limit_price is not None:
            raise ValueError("a market order takes no limit_price")
        return self


class CancelOrder(Record):
    kind: Literal["cancel_order"] = "cancel_order"
    account: Account
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId


class ReplaceOrder(Record):
    kind: Literal["replace_order"] = "replace_order"
    account: Account
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    qty: PositiveDec
    limit_price: PositiveDec | None = None


class SetTradingState(Record):
    """Move an account (or ``*``, every account) to ACTIVE, REDUCING or HALTED."""

    kind: Literal["set_trading_state"] = "set_trading_state"
    account: Account
    state: TradingState
    reason: Id


class KillSwitch(Record):
    """Halt an account (or ``*``) and cancel all of its live orders."""

    kind: Literal["kill_switch"] = "kill_switch"
    account: Account
    reason: Id
    requested_by: Id

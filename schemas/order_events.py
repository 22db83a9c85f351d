"""Order events: what the OMS decided, past tense, in ``orders.events``."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import (
    Account,
    ClOrdId,
    Dec,
    Id,
    InstrumentId,
    NonNegativeDec,
    OrderType,
    PositiveDec,
    Side,
    TimeInForce,
    TradingState,
    TsNs,
)


class OrderEvent(Record):
    """Fields every order event carries: whose order, which request, which instrument."""

    account: Account
    cl_ord_id: ClOrdId
    order_id: Id
    instrument: InstrumentId


class OrderAccepted(OrderEvent):
    """A new order passed risk. ``arrival_mid`` is the mid the OMS saw (None: no quote)."""

    kind: Literal["order_accepted"] = "order_accepted"
    side: Side
    order_type: OrderType
    qty: PositiveDec
    limit_price: PositiveDec | None = None
    tif: TimeInForce
    expire_ts: TsNs | None = None
    arrival_mid: PositiveDec | None = None
    ts_command: TsNs


class OrderRejected(Record):
    """A request the OMS refused. Risk rejections name the rule, limit and observed value."""

    kind: Literal["order_rejected"] = "order_rejected"
    account: Account
    cl_ord_id: ClOrdId
    instrument: Id | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    qty: PositiveDec | None = None
    limit_price: PositiveDec | None = None
    reason: str
    rule: Id | None = None
    limit: str | None = None
    observed: str | None = None
    ts_command: TsNs


class _Execution(OrderEvent):
    exec_id: Id
    side: Side
    last_qty: PositiveDec
    last_px: PositiveDec
    cum_qty: PositiveDec
    leaves_qty: NonNegativeDec
    avg_px: PositiveDec
    fee: Dec
    fee_currency: Id


class OrderPartiallyFilled(_Execution):
    kind: Literal["order_partially_filled"] = "order_partially_filled"


class OrderFilled(_Execution):
    kind: Literal["order_filled"] = "order_filled"


class OrderCanceled(OrderEvent):
    """``cl_ord_id`` is the order's current id; ``cancel_cl_ord_id`` the request's."""

    kind: Literal["order_canceled"] = "order_canceled"
    cancel_cl_ord_id: ClOrdId | None = None
    cum_qty: NonNegativeDec
    reason: str


class OrderReplaced(OrderEvent):
    """The order now answers to ``cl_ord_id``; it was ``orig_cl_ord_id``."""

    kind: Literal["order_replaced"] = "order_replaced"
    orig_cl_ord_id: ClOrdId
    qty: PositiveDec
    limit_price: PositiveDec | None = None
    leaves_qty: NonNegativeDec


class OrderExpired(OrderEvent):
    kind: Literal["order_expired"] = "order_expired"
    cum_qty: NonNegativeDec


class OrderCancelRejected(Record):
    kind: Literal["order_cancel_rejected"] = "order_cancel_rejected"
    account: Account
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    reason: str


class OrderReplaceRejected(Record):
    kind: Literal["order_replace_rejected"] = "order_replace_rejected"
    account: Account
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    reason: str


class TradingStateChanged(Record):
    """An account (or ``*``, every account) moved to ACTIVE, REDUCING or HALTED."""

    kind: Literal["trading_state_changed"] = "trading_state_changed"
    account: Account
    state: TradingState
    reason: str

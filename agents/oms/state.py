"""The OMS table: one ``AccountBook`` per account.

Everything ``decide`` consults later is folded from ``orders.events`` alone (replay
rebuilds it from them): live orders, used ClOrdIDs, executed ExecIDs, positions and
working quantities per instrument, recent message times and the trading state.

Memory: terminal orders leave ``orders`` (the live set); their ClOrdIDs stay in
``used_cl_ord_ids`` and their ExecIDs in ``exec_ids`` for duplicate detection, which is
the price of refusing a repeated ClOrdID or ExecID forever. ``message_ts`` keeps one
rolling second of message times, at most ``MAX_MESSAGE_TIMES``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from schemas.types import OrderType, Side, TimeInForce, TradingState

ZERO: Final = Decimal(0)
MAX_MESSAGE_TIMES: Final = 10_000
"""A bound on remembered message times; no account may be allowed more per second."""


class OrderRow(msgspec.Struct, kw_only=True, gc=False):
    """One live order. ``seq`` is its acceptance number in the account (stable order).

    Not tracked by the garbage collector (``gc=False``): it holds only strings, numbers
    and a tuple of strings, so it can be in no reference cycle, and a book of many live
    orders then adds nothing to what each full collection walks (pauses in the order
    path's tail)."""

    seq: int
    order_id: str
    cl_ord_id: str
    """The ClOrdID of the last accepted request for the order (new or replace)."""
    orig_cl_ord_ids: tuple[str, ...] = ()
    """Earlier ClOrdIDs of the order, oldest first (a fill may still name one)."""
    instrument: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    expire_ts: int | None = None
    qty: Decimal
    limit_price: Decimal | None = None
    status: str
    cum_qty: Decimal = ZERO
    leaves_qty: Decimal
    avg_px: Decimal = ZERO
    filled_notional: Decimal = ZERO
    """sum(last_qty * last_px), kept exact so avg_px never drifts."""
    arrival_mid: Decimal | None = None
    ts_accepted: int
    ts_last: int

    @property
    def exposure_price(self) -> Decimal:
        """The price its working quantity counts at: the limit, else the arrival mid."""
        if self.limit_price is not None:
            return self.limit_price
        return self.arrival_mid if self.arrival_mid is not None else ZERO


class Holding(msgspec.Struct, kw_only=True, gc=False):
    """One instrument of the account: the position from its order fills and what is
    working on each side (notional = qty * price, without the contract multiplier)."""

    position: Decimal = ZERO
    last_px: Decimal | None = None
    buy_qty: Decimal = ZERO
    buy_notional: Decimal = ZERO
    sell_qty: Decimal = ZERO
    sell_notional: Decimal = ZERO


class AccountBook(msgspec.Struct, kw_only=True):
    account: str
    trading_state: TradingState = "ACTIVE"
    orders: dict[str, OrderRow] = msgspec.field(default_factory=dict)
    """Live orders by order id."""
    live_ids: dict[str, str] = msgspec.field(default_factory=dict)
    """Every ClOrdID (current and earlier) of a live order -> its order id."""
    used_cl_ord_ids: set[str] = msgspec.field(default_factory=set)
    exec_ids: set[str] = msgspec.field(default_factory=set)
    holdings: dict[str, Holding] = msgspec.field(default_factory=dict)
    message_ts: list[int] = msgspec.field(default_factory=list)
    """Times of new/replace/cancel messages in the last second, sorted ascending."""
    accepted: int = 0
    """Orders accepted so far; the next order id is ``f"{account}-{accepted + 1}"``."""
    rejected: int = 0
    replaced: int = 0
    canceled: int = 0
    expired: int = 0
    filled: int = 0
    executions: int = 0

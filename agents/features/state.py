"""Working memory of the features agent: one ``FeatureBook`` per instrument."""

from __future__ import annotations

from decimal import Decimal

import msgspec

ZERO = Decimal(0)


class WindowTrade(msgspec.Struct, array_like=True):
    """A trade inside the 60 s window, with the terms its sums need."""

    ts: int
    notional: Decimal
    """``price * size``."""
    size: Decimal
    squared_return: Decimal
    """``ln(price / previous price)^2`` (quantized), 0 for the first trade seen."""


class FeatureBook(msgspec.Struct, kw_only=True):
    instrument: str
    bucket_ts: int = -1
    """Start of the bucket the newest tick fell in; -1 before the first tick."""
    last_ts: int = -1
    """The newest accepted tick time: an older tick is out of order."""
    trades: list[WindowTrade] = msgspec.field(default_factory=list)
    """Trades of the window and of the open bucket, oldest first."""
    notional_sum: Decimal = ZERO
    size_sum: Decimal = ZERO
    squared_return_sum: Decimal = ZERO
    last_price: Decimal | None = None
    """The previous trade's price, the base of the next log return (even once evicted)."""
    bid: Decimal | None = None
    bid_size: Decimal | None = None
    ask: Decimal | None = None
    ask_size: Decimal | None = None
    out_of_order: int = 0
    """Ticks older than ``last_ts``: counted, left out of every window."""

"""The latest market state of one instrument."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

import msgspec


class Ticker(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """``dict=True`` only gives ``mid`` somewhere to cache itself: the cache is not a
    field, so the encoded row (and the table hash) is the fields alone, and every
    ``structs.replace`` starts a fresh instance with an empty cache."""

    instrument: str
    bid: Decimal | None = None
    bid_size: Decimal | None = None
    ask: Decimal | None = None
    ask_size: Decimal | None = None
    quote_ts: int = 0
    last_price: Decimal | None = None
    last_size: Decimal | None = None
    trade_ts: int = 0
    quotes: int = 0
    trades: int = 0

    @cached_property
    def mid(self) -> Decimal | None:
        """Computed once per ticker: PnL marks and risk checks read it for every fill."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2

    @property
    def mark(self) -> Decimal | None:
        """The mid of the latest quote, else the last trade price (DOMAIN.md)."""
        mid = self.mid
        return mid if mid is not None else self.last_price

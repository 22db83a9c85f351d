"""Market data: canonical trades and quotes, instrument definitions, feed gaps."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from schemas.base import Record
from schemas.types import Aggressor, Id, InstrumentId, PositiveDec, TsNs


class Trade(Record):
    """A print on a venue. ``ts_event`` is exchange time, ``ts_recv`` our receive time."""

    kind: Literal["trade"] = "trade"
    instrument: InstrumentId
    trade_id: Id
    price: PositiveDec
    size: PositiveDec
    aggressor: Aggressor
    ts_recv: TsNs

    def natural_id(self) -> str:
        return f"trade:{self.instrument}:{self.trade_id}"


class Quote(Record):
    """Best bid and offer. A crossed book (bid above ask) is refused as corrupt."""

    kind: Literal["quote"] = "quote"
    instrument: InstrumentId
    bid: PositiveDec
    bid_size: PositiveDec
    ask: PositiveDec
    ask_size: PositiveDec
    ts_recv: TsNs

    @model_validator(mode="after")
    def _not_crossed(self) -> Quote:
        if self.bid > self.ask:
            raise ValueError(f"crossed quote: bid {self.bid} > ask {self.ask}")
        return self


class InstrumentDefinition(Record):
    """Static reference data for one instrument, id ``venue:symbol``."""

    kind: Literal["instrument"] = "instrument"
    instrument: InstrumentId
    venue: Id
    symbol: Id
    tick_size: PositiveDec
    lot_size: PositiveDec
    multiplier: PositiveDec
    base_currency: Id
    quote_currency: Id
    settlement_currency: Id

    @model_validator(mode="after")
    def _id_matches(self) -> InstrumentDefinition:
        if self.instrument != f"{self.venue}:{self.symbol}":
            raise ValueError(f"instrument id must be venue:symbol, got {self.instrument!r}")
        return self


class MarketDataGap(Record):
    """A sequence gap seen on one (venue, channel, symbol) feed; ``instrument`` is venue:symbol."""

    kind: Literal["md_gap"] = "md_gap"
    instrument: InstrumentId
    channel: Id
    expected_seq: int
    received_seq: int
    ts_recv: TsNs

"""The cached mid: right after every change, and invisible in the encoded row."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from agents.tickers.agent import build
from agents.tickers.fold import apply_tick
from agents.tickers.state import Ticker
from streams.codec import decode_payload
from streams.state import Table, encode_state
from tests import factories

INSTRUMENT = "binance-futures:BTCUSDT"


def _quote(bid: str, ask: str, ts: int) -> object:
    quote = factories.quote(instrument=INSTRUMENT, bid=Decimal(bid), ask=Decimal(ask), ts_event=ts)
    return decode_payload("quote", quote.model_dump_json())


def test_mid_follows_every_quote_after_it_was_read() -> None:
    ticker = Ticker(instrument=INSTRUMENT)
    assert ticker.mid is None
    ticker = apply_tick(ticker, _quote("100", "101", 1))  # type: ignore[arg-type]
    assert ticker.mid == Decimal("100.5")
    ticker = apply_tick(ticker, _quote("200", "203", 2))  # type: ignore[arg-type]
    assert ticker.mid == Decimal("201.5")
    assert ticker.mark == Decimal("201.5")


def test_a_read_mid_changes_neither_the_encoding_nor_equality() -> None:
    fresh = Ticker(instrument=INSTRUMENT, bid=Decimal("1"), ask=Decimal("4"))
    read = Ticker(instrument=INSTRUMENT, bid=Decimal("1"), ask=Decimal("4"))
    assert read.mid == Decimal("2.5")
    assert encode_state(read) == encode_state(fresh)
    assert b"mid" not in encode_state(read)
    assert read == fresh
    decoded = msgspec.json.decode(encode_state(read), type=Ticker)
    assert decoded.mid == Decimal("2.5")


def test_table_hash_is_the_same_whether_or_not_mids_were_read() -> None:
    quotes = [_quote(str(100 + i), str(102 + i), i) for i in range(5)]
    reading, untouched = Table(build()), Table(build())
    for index, quote in enumerate(quotes):
        event_id = f"q-{index}"
        reading.fold(event_id, quote)
        untouched.fold(event_id, quote)
        assert reading.get(INSTRUMENT).mid == Decimal(101 + index)
    assert reading.hash() == untouched.hash()

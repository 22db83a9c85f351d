from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.instruments import InstrumentRegistry
from agents.normalizer import SYNTHETIC_INSTRUMENTS, synthetic_feed
from schemas import Quote, Trade

START = 1_700_000_000_000_000_000


def test_the_built_in_synthetic_instruments_are_used() -> None:
    assert [d.instrument for d in SYNTHETIC_INSTRUMENTS] == [
        "synthetic:ALPHA",
        "synthetic:BRAVO",
        "synthetic:CHARLIE",
    ]
    registry = InstrumentRegistry()
    assert all(registry.get(d.instrument) == d for d in SYNTHETIC_INSTRUMENTS)


def test_same_seed_same_feed_other_seed_other_feed() -> None:
    first = [t.model_dump_json() for t in synthetic_feed(7, SYNTHETIC_INSTRUMENTS, START, 300)]
    again = [t.model_dump_json() for t in synthetic_feed(7, SYNTHETIC_INSTRUMENTS, START, 300)]
    other = [t.model_dump_json() for t in synthetic_feed(8, SYNTHETIC_INSTRUMENTS, START, 300)]
    assert first == again
    assert first != other
    assert len(first) == 300


def test_every_instrument_trades_and_quotes() -> None:
    ticks = list(synthetic_feed(1, SYNTHETIC_INSTRUMENTS, START, 600))
    for definition in SYNTHETIC_INSTRUMENTS:
        kinds = {t.kind for t in ticks if t.instrument == definition.instrument}
        assert kinds == {"quote", "trade"}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), count=st.integers(0, 400))
def test_synthetic_invariants(seed: int, count: int) -> None:
    definitions = {d.instrument: d for d in SYNTHETIC_INSTRUMENTS}
    last_quote: dict[str, Quote] = {}
    last_ts = START
    ticks = list(synthetic_feed(seed, SYNTHETIC_INSTRUMENTS, START, count))
    assert len(ticks) == count
    trade_ids = [t.trade_id for t in ticks if isinstance(t, Trade)]
    assert len(trade_ids) == len(set(trade_ids))
    for tick in ticks:
        assert tick.ts_event >= last_ts
        last_ts = tick.ts_event
        definition = definitions[tick.instrument]
        tick_size, lot = definition.tick_size, definition.lot_size
        if isinstance(tick, Quote):
            assert Decimal(0) < tick.bid < tick.ask
            for price in (tick.bid, tick.ask):
                assert price % tick_size == 0
            for size in (tick.bid_size, tick.ask_size):
                assert size > 0
                assert size % lot == 0
            last_quote[tick.instrument] = tick
        else:
            book = last_quote[tick.instrument]  # a trade always follows a quote
            assert book.bid <= tick.price <= book.ask
            assert tick.price % tick_size == 0
            assert tick.size % lot == 0
            if tick.aggressor == "buy":
                assert tick.price == book.ask
            elif tick.aggressor == "sell":
                assert tick.price == book.bid

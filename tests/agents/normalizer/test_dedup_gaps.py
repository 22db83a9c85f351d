from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.normalizer import GapDetector, Problem, TradeDeduplicator
from schemas import InstrumentId, MarketDataGap

BTC = InstrumentId("binance:BTCUSDT")


def test_a_repeated_id_is_a_duplicate_per_instrument() -> None:
    dedup = TradeDeduplicator(window=3)
    assert not dedup.is_duplicate(BTC, "1")
    assert dedup.is_duplicate(BTC, "1")
    assert not dedup.is_duplicate("coinbase:BTC-USD", "1")


def test_ids_older_than_the_window_are_forgotten() -> None:
    dedup = TradeDeduplicator(window=3)
    for trade_id in "1234":
        assert not dedup.is_duplicate(BTC, trade_id)
    assert dedup.remembered(BTC) == 3
    assert not dedup.is_duplicate(BTC, "1")  # evicted by "4", so it is new again
    assert dedup.is_duplicate(BTC, "4")


def test_the_window_must_hold_something() -> None:
    with pytest.raises(ValueError, match="at least one id"):
        TradeDeduplicator(window=0)


@given(ids=st.lists(st.integers(0, 30), max_size=200), window=st.integers(1, 10))
def test_dedup_matches_a_plain_model_of_the_last_n_ids(ids: list[int], window: int) -> None:
    dedup = TradeDeduplicator(window=window)
    kept: list[int] = []
    for trade_id in ids:
        expected = trade_id in kept[-window:]
        assert dedup.is_duplicate(BTC, str(trade_id)) is expected
        if not expected:
            kept.append(trade_id)
        assert dedup.remembered(BTC) <= window


def observe(gaps: GapDetector, seq: int, channel: str = "bookTicker") -> object:
    return gaps.observe(BTC, channel, seq, ts_event=10, ts_recv=20)


def test_consecutive_numbers_are_no_gap() -> None:
    gaps = GapDetector()
    assert [observe(gaps, seq) for seq in (7, 8, 9)] == [None, None, None]
    assert gaps.expected(BTC, "bookTicker") == 10


def test_a_jump_is_a_gap_and_the_feed_resumes_after_it() -> None:
    gaps = GapDetector()
    observe(gaps, 7)
    assert observe(gaps, 11) == MarketDataGap(
        instrument=BTC,
        channel="bookTicker",
        expected_seq=8,
        received_seq=11,
        ts_event=10,
        ts_recv=20,
    )
    assert observe(gaps, 12) is None


@pytest.mark.parametrize("seq", [7, 3])
def test_a_lower_number_is_a_problem_not_a_gap(seq: int) -> None:
    gaps = GapDetector()
    observe(gaps, 7)
    found = observe(gaps, seq)
    assert isinstance(found, Problem)
    assert f"sequence {seq} of binance:BTCUSDT is below the expected 8" in found.reason
    assert observe(gaps, 8) is None  # the expectation did not move


def test_channels_and_instruments_are_tracked_apart() -> None:
    gaps = GapDetector()
    observe(gaps, 7)
    assert observe(gaps, 100, channel="match") is None
    assert gaps.observe("binance:ETHUSDT", "bookTicker", 1, ts_event=1, ts_recv=1) is None  # type: ignore[arg-type]
    assert observe(gaps, 8) is None

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.normalizer import (
    Normalizer,
    NormalizerCounters,
    Problem,
    synthetic_feed,
    tardis_session,
)
from schemas import DeadLetter, MarketDataGap, Quote, TapelineError, Trade
from tests.agents.normalizer.helpers import T_US, TRADES_HEADER, dumps
from tests.factories import trade

RECV = 1_700_000_000_000_000_000
BTC_TRADES = "binance-futures_trades_BTCUSDT.tardis.csv"
BTC_QUOTES = "binance-futures_quotes_BTCUSDT.tardis.csv"


def book(update_id: int, bid: str = "100.00") -> str:
    return dumps({"u": update_id, "s": "BTCUSDT", "b": bid, "B": "1", "a": "100.01", "A": "1"})


def binance_trade(trade_id: int, time_ms: int = 1_672_515_782_134) -> str:
    return dumps(
        {"e": "trade", "s": "BTCUSDT", "t": trade_id, "p": "1", "q": "1", "T": time_ms, "m": True}
    )


def match(trade_id: int, sequence: int) -> dict[str, Any]:
    return {
        "type": "match",
        "trade_id": trade_id,
        "sequence": sequence,
        "time": "2020-02-22T00:00:02.5Z",
        "product_id": "BTC-USD",
        "size": "0.5",
        "price": "9000",
        "side": "buy",
    }


def kinds(items: list[Any]) -> list[str]:
    return [item.kind if not isinstance(item, Problem) else "problem" for item in items]


def test_the_shared_session_passes_whole(market_data: Path) -> None:
    normalizer = Normalizer()
    trades, quotes = market_data / BTC_TRADES, market_data / BTC_QUOTES
    out = list(tardis_session(trades, quotes, normalizer=normalizer))
    assert normalizer.counters == NormalizerCounters(accepted=19998)
    assert sum(isinstance(item, Trade) for item in out) == 9999
    assert sum(isinstance(item, Quote) for item in out) == 9999


def test_the_same_file_twice_is_deduplicated(market_data: Path) -> None:
    normalizer = Normalizer()
    first = list(normalizer.feed_tardis(market_data / "bitmex_trades_XBTUSD.tardis.csv"))
    second = list(normalizer.feed_tardis(market_data / "bitmex_trades_XBTUSD.tardis.csv"))
    assert (len(first), second) == (10, [])
    assert (normalizer.counters.accepted, normalizer.counters.duplicates) == (10, 10)


def test_tardis_problems_are_counted_and_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"{TRADES_HEADER}\nbinance-futures,BTCUSDT,{T_US},{T_US},1,buy,NaN,1\n")
    normalizer = Normalizer()
    [problem] = list(normalizer.feed_tardis(path))
    assert isinstance(problem, Problem)
    assert problem.origin == "t.csv:2"
    assert normalizer.counters.problems == 1


def test_a_book_ticker_jump_is_a_gap_before_the_quote() -> None:
    normalizer = Normalizer()
    out = [item for u in (1, 2, 5) for item in normalizer.feed_binance(book(u), RECV)]
    assert kinds(out) == ["quote", "quote", "md_gap", "quote"]
    gap = out[2]
    assert isinstance(gap, MarketDataGap)
    assert (gap.instrument, gap.channel, gap.expected_seq, gap.received_seq) == (
        "binance:BTCUSDT",
        "bookTicker",
        3,
        5,
    )
    assert normalizer.counters.gaps == 1


def test_a_stale_book_ticker_is_a_problem_and_is_dropped() -> None:
    normalizer = Normalizer()
    normalizer.feed_binance(book(5), RECV)
    [problem] = normalizer.feed_binance(book(4), RECV)
    assert isinstance(problem, Problem)
    assert "below the expected 6" in problem.reason
    assert '"u": 4' in problem.raw
    assert normalizer.counters == NormalizerCounters(accepted=1, problems=1)


def test_gap_channels_can_be_switched_off() -> None:
    normalizer = Normalizer(gap_channels=())
    out = [item for u in (1, 9, 4) for item in normalizer.feed_binance(book(u), RECV)]
    assert kinds(out) == ["quote", "quote", "quote"]


def test_a_resent_binance_trade_is_a_duplicate() -> None:
    normalizer = Normalizer(dedup_window=2)
    assert kinds(normalizer.feed_binance(binance_trade(1), RECV)) == ["trade"]
    assert normalizer.feed_binance(binance_trade(1), RECV) == []
    assert normalizer.counters.duplicates == 1


def test_binance_venue_is_configurable() -> None:
    normalizer = Normalizer(binance_venue="binance-futures")
    [quote] = normalizer.feed_binance(book(1), RECV)
    assert isinstance(quote, Quote)
    assert quote.instrument == "binance-futures:BTCUSDT"


def test_a_resent_coinbase_match_is_a_duplicate_not_a_problem() -> None:
    normalizer = Normalizer()
    normalizer.feed_coinbase(match(1, 100), RECV)
    assert normalizer.feed_coinbase(match(1, 100), RECV) == []
    out = normalizer.feed_coinbase(match(3, 103), RECV)
    assert kinds(out) == ["md_gap", "trade"]
    late = normalizer.feed_coinbase(match(2, 101), RECV)
    assert kinds(late) == ["problem"]
    assert normalizer.counters == NormalizerCounters(accepted=2, duplicates=1, gaps=1, problems=1)


def test_an_older_trade_is_emitted_and_counted_late() -> None:
    normalizer = Normalizer()
    normalizer.feed_binance(binance_trade(1, time_ms=2_000), RECV)
    out = normalizer.feed_binance(binance_trade(2, time_ms=1_000), RECV)
    assert kinds(out) == ["trade"]
    normalizer.feed_binance(binance_trade(3, time_ms=1_500), RECV)  # still behind 2_000
    assert normalizer.counters.late_trades == 2
    assert normalizer.counters.accepted == 3


def test_control_messages_are_counted_as_ignored() -> None:
    normalizer = Normalizer()
    assert normalizer.feed_binance('{"result": null, "id": 1}', RECV) == []
    assert normalizer.feed_coinbase('{"type": "heartbeat"}', RECV) == []
    assert normalizer.counters == NormalizerCounters(ignored=2)


def test_malformed_messages_are_problems() -> None:
    normalizer = Normalizer()
    assert kinds(normalizer.feed_binance(b"\xff{", RECV)) == ["problem"]
    assert kinds(normalizer.feed_coinbase("{not json", RECV)) == ["problem"]
    assert normalizer.counters.problems == 2


@pytest.mark.parametrize("ts_recv", [0, -1, 2**63, True, 1.5])
def test_a_bad_receive_time_is_a_bug_of_the_caller(ts_recv: Any) -> None:
    with pytest.raises(TapelineError, match="ts_recv"):
        Normalizer().feed_binance(book(1), ts_recv)


def test_synthetic_ticks_pass_and_unknown_instruments_do_not() -> None:
    normalizer = Normalizer()
    ticks = list(synthetic_feed(3, count=200))
    assert list(normalizer.feed_ticks(ticks)) == ticks
    stranger = trade(instrument="nowhere:XYZ")
    [problem] = list(normalizer.feed_ticks([stranger]))
    assert isinstance(problem, Problem)
    assert "unknown instrument 'nowhere:XYZ'" in problem.reason
    assert normalizer.counters == NormalizerCounters(accepted=200, problems=1)


def test_a_problem_becomes_a_dead_letter() -> None:
    problem = Problem(3, "price is empty", "raw,row", "t.csv")
    letter = problem.to_dead_letter(ts_event=RECV)
    assert letter == DeadLetter(
        origin_topic="md.raw",
        origin="t.csv:3",
        agent="normalizer",
        error="price is empty",
        raw="raw,row",
        ts_event=RECV,
    )
    assert Problem(None, "x", "", "binance").origin == "binance"

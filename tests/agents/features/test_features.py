"""The features agent: hand vectors, and properties against a from-scratch recompute."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.features import agent as features_agent
from agents.features.fold import LOG_CONTEXT, WINDOW_NS, process, squared_log_return
from agents.features.state import FeatureBook
from agents.scenarios.evaluation import NoView
from schemas import Quote, Trade
from schemas.features import FeatureVector
from streams.codec import decode_payload
from streams.state import encode_state

INSTRUMENT = "synthetic:ALPHA"
MS = 1_000_000
SECOND = 1_000_000_000
T0 = 1_700_000_000 * SECOND
D = Decimal


def trade(ts: int, price: str, size: str = "1", trade_id: str = "T") -> Trade:
    return Trade(
        instrument=INSTRUMENT,  # type: ignore[arg-type]
        trade_id=f"{trade_id}{ts}",
        price=D(price),
        size=D(size),
        aggressor="buy",
        ts_event=ts,
        ts_recv=ts,
    )


def quote(ts: int, bid: str, bid_size: str, ask: str, ask_size: str) -> Quote:
    return Quote(
        instrument=INSTRUMENT,  # type: ignore[arg-type]
        bid=D(bid),
        bid_size=D(bid_size),
        ask=D(ask),
        ask_size=D(ask_size),
        ts_event=ts,
        ts_recv=ts,
    )


def run(ticks: list[Any], book: FeatureBook | None = None) -> tuple[FeatureBook, list[Any]]:
    book = book or FeatureBook(instrument=INSTRUMENT)
    out: list[Any] = []
    for tick in ticks:
        book, emitted = process(book, tick, NoView())
        out.extend(emitted)
    return book, out


def test_a_bucket_is_emitted_when_the_next_one_opens_with_its_features() -> None:
    ticks = [
        trade(T0 + 100 * MS, "100", "1"),
        trade(T0 + 500 * MS, "101", "3"),
        quote(T0 + 600 * MS, "100", "3", "101", "1"),
    ]
    _, out = run(ticks)
    assert out == []  # the bucket is still open
    _, out = run([*ticks, trade(T0 + SECOND, "5000", "100")])  # opens the next bucket
    [vector] = out
    assert isinstance(vector, FeatureVector)
    assert (vector.bucket_ts, vector.ts_event) == (T0, T0 + SECOND)
    assert vector.vwap_60s == D("100.75")  # (100 + 303) / 4: the 5000 print is not in it
    assert vector.trade_count_60s == 2
    assert vector.obi_l1 == D("0.5")
    assert vector.spread_bps == D("99.50248756218905472636815920")  # 1 / 100.5 * 1e4
    assert vector.rv_60s is not None
    assert abs(vector.rv_60s - D(math.log(1.01))) < D("1e-15")
    assert abs(vector.rv_60s - LOG_CONTEXT.ln(D("1.01"))) < D("1e-26")


def test_nothing_is_measurable_before_trades_or_quotes() -> None:
    _, out = run([quote(T0, "1", "1", "2", "1"), quote(T0 + SECOND, "1", "1", "2", "1")])
    [vector] = out
    assert (vector.vwap_60s, vector.rv_60s, vector.trade_count_60s) == (None, None, 0)
    _, out = run([trade(T0, "10"), trade(T0 + SECOND, "10")])
    [vector] = out
    assert (vector.vwap_60s, vector.rv_60s, vector.trade_count_60s) == (D(10), None, 1)
    assert (vector.obi_l1, vector.spread_bps) == (None, None)


def test_a_gap_emits_one_vector_not_one_per_empty_bucket() -> None:
    _, out = run([trade(T0, "10"), trade(T0 + 30 * SECOND, "11"), trade(T0 + 31 * SECOND, "12")])
    assert [v.bucket_ts - T0 for v in out] == [0, 30 * SECOND]
    assert [v.trade_count_60s for v in out] == [1, 2]


def test_trades_leave_the_window_after_60_seconds() -> None:
    ticks = [
        trade(T0, "10"),
        trade(T0 + 59 * SECOND, "20"),
        trade(T0 + 60 * SECOND, "30"),  # emits [T0 - 1 s, T0 + 59 s): T0 still in
        trade(T0 + 61 * SECOND, "40"),  # emits [T0 + 1 s, T0 + 61 s): T0 gone
    ]
    book, out = run(ticks)
    assert [v.trade_count_60s for v in out] == [1, 2, 2]
    assert [v.vwap_60s for v in out] == [D(10), D(15), D(25)]
    # rv after the eviction: only ln(30/20), the return from the evicted 10 is dropped
    assert out[2].rv_60s == LOG_CONTEXT.sqrt(squared_log_return(D(30), D(20)))
    assert [t.ts - T0 for t in book.trades] == [59 * SECOND, 60 * SECOND, 61 * SECOND]


def test_an_out_of_order_tick_is_counted_and_ignored() -> None:
    ticks = [trade(T0 + 2 * SECOND, "10"), trade(T0 + SECOND, "99"), trade(T0 + 3 * SECOND, "10")]
    book, out = run(ticks)
    assert book.out_of_order == 1
    [vector] = out
    assert (vector.bucket_ts, vector.vwap_60s, vector.trade_count_60s) == (
        T0 + 2 * SECOND,
        D(10),
        1,
    )


def test_the_agent_is_wired_over_md_ticks_by_instrument() -> None:
    agent = features_agent.build()
    assert (agent.inputs, agent.output_topic, agent.kinds) == (
        ("md.ticks",),
        "features",
        frozenset({"trade", "quote"}),
    )
    assert agent.state_key(trade(T0, "1")) == INSTRUMENT
    assert not agent.replayable


# -- properties ------------------------------------------------------------------------


@st.composite
def tick_streams(draw: st.DrawFn) -> list[Any]:
    ticks: list[Any] = []
    ts = T0 + draw(st.integers(0, SECOND))
    for index in range(draw(st.integers(1, 60))):
        ts += draw(st.integers(-400, 9000)) * MS  # now and then back in time
        if draw(st.booleans()):
            price = D(draw(st.integers(9_000, 11_000))) / 100
            size = D(draw(st.integers(1, 5_000))) / 1000
            ticks.append(trade(ts, str(price), str(size), trade_id=f"T{index}-"))
        else:
            bid = D(draw(st.integers(9_000, 11_000))) / 100
            ask = bid + D(draw(st.integers(0, 50))) / 100
            ticks.append(
                quote(
                    ts,
                    str(bid),
                    str(draw(st.integers(1, 9))),
                    str(ask),
                    str(draw(st.integers(1, 9))),
                )
            )
    return ticks


def accepted(ticks: list[Any]) -> list[Any]:
    """The ticks the agent takes into its windows: none older than one before it."""
    kept, newest = [], -1
    for tick in ticks:
        if tick.ts_event >= newest:
            kept.append(tick)
            newest = tick.ts_event
    return kept


def recompute(ticks: list[Any], end: int) -> FeatureVector:
    """The features as of ``end`` from scratch, from every accepted tick before it."""
    before = [t for t in ticks if t.ts_event < end]
    trades = [t for t in before if t.kind == "trade"]
    in_window = [t.ts_event >= end - WINDOW_NS for t in trades]
    window = [t for t, inside in zip(trades, in_window, strict=True) if inside]
    squared = [
        squared_log_return(trades[i].price, trades[i - 1].price)
        for i in range(1, len(trades))
        if in_window[i] and in_window[i - 1]
    ]
    with localcontext(prec=100):
        notional = sum((t.price * t.size for t in window), D(0))
        volume = sum((t.size for t in window), D(0))
        squared_sum = sum(squared, D(0))
    quotes = [t for t in before if t.kind == "quote"]
    last = quotes[-1] if quotes else None
    return FeatureVector(
        instrument=INSTRUMENT,  # type: ignore[arg-type]
        bucket_ts=end - SECOND,
        vwap_60s=LOG_CONTEXT.divide(notional, volume) if window else None,
        rv_60s=LOG_CONTEXT.sqrt(squared_sum) if len(window) >= 2 else None,
        obi_l1=None
        if last is None
        else LOG_CONTEXT.divide(last.bid_size - last.ask_size, last.bid_size + last.ask_size),
        trade_count_60s=len(window),
        spread_bps=None
        if last is None
        else LOG_CONTEXT.multiply(
            LOG_CONTEXT.divide(last.ask - last.bid, LOG_CONTEXT.divide(last.bid + last.ask, D(2))),
            D(10_000),
        ),
        ts_event=end,
    )


@settings(max_examples=150, deadline=None)
@given(tick_streams())
def test_every_vector_equals_a_recompute_from_scratch(ticks: list[Any]) -> None:
    _, out = run(ticks)
    kept = accepted(ticks)
    for vector in out:
        assert vector == recompute(kept, vector.ts_event)
    buckets = sorted({t.ts_event - t.ts_event % SECOND for t in kept})
    assert [v.bucket_ts for v in out] == buckets[:-1]


@settings(max_examples=100, deadline=None)
@given(tick_streams(), st.integers(0, 200))
def test_later_ticks_never_change_an_earlier_vector(ticks: list[Any], cut: int) -> None:
    cut = cut % (len(ticks) + 1)
    _, prefix = run(ticks[:cut])
    _, full = run(ticks)
    assert full[: len(prefix)] == prefix
    for index, vector in enumerate(full):
        # emitted by a tick at or after its end: it could only have used ticks before it
        trigger = [t for t in ticks if t.ts_event >= vector.ts_event]
        assert trigger, "a vector is only emitted once a later bucket has begun"
        assert index == 0 or full[index - 1].ts_event < vector.ts_event


@settings(max_examples=60, deadline=None)
@given(tick_streams(), st.integers(0, 200))
def test_runtime_payloads_and_a_state_round_trip_change_nothing(ticks: list[Any], cut: int) -> None:
    cut = cut % (len(ticks) + 1)
    _, expected = run(ticks)
    fast = [decode_payload(t.kind, t.model_dump_json()) for t in ticks]
    book, first = run(fast[:cut])
    book = msgspec.json.decode(encode_state(book), type=FeatureBook)
    _, rest = run(fast[cut:], book)
    assert first + rest == expected

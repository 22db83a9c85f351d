"""The analyzer over hand-built event sequences: reports, as-of markouts, memory."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal as D
from typing import Any

from agents.exeq.analyzer import Analyzer
from agents.exeq.state import ExeqBook
from agents.instruments import InstrumentRegistry
from schemas import ExecutionQuality
from tests.agents.exeq.support import (
    MS,
    SECOND,
    FixedView,
    accepted,
    canceled,
    expired,
    filled,
    market_trade,
    partial,
    quote_mid,
    replaced,
)
from tests.factories import BTC, T0

T = T0 + 10 * SECOND
VIEW = FixedView()


def run(events: Iterable[Any], analyzer: Analyzer | None = None, book: ExeqBook | None = None):
    analyzer = analyzer or Analyzer(InstrumentRegistry())
    book = book or ExeqBook(instrument=BTC)
    out: list[ExecutionQuality] = []
    for event in events:
        book, reports = analyzer.process(book, event, VIEW)
        out.extend(reports)  # type: ignore[arg-type]
    return book, out


def test_buy_in_two_fills_resolves_each_horizon_as_of() -> None:
    head = [
        quote_mid("100", T - SECOND),
        accepted(qty="2", arrival_mid="100", ts_event=T, ts_command=T - 1000),
        market_trade("100.0", "1", T + 10 * MS),
        partial(exec_id="E-1", last_qty="1", last_px="100.10", fee="0.01", ts_event=T + 20 * MS),
        market_trade("100.4", "3", T + 30 * MS),
        filled(exec_id="E-2", last_qty="1", last_px="100.30", fee="0.01", ts_event=T + 40 * MS),
    ]
    book, out = run(head)
    [provisional] = out
    assert provisional.final is False
    # avg 100.20 vs arrival 100: 20 bps; VWAP (100.0 * 1 + 100.4 * 3) / 4 = 100.3
    assert provisional.avg_px == D("100.20")
    assert provisional.arrival_slippage_bps == D("20.0000")
    assert provisional.market_vwap == D("100.3")
    assert provisional.vwap_slippage_bps == D("-9.9701")
    # IS = (200.40 - 200) + 0.02 fees = 0.42 -> 0.42 / 200 * 1e4 = 21 bps
    assert provisional.implementation_shortfall == D("0.42")
    assert provisional.implementation_shortfall_bps == D("21.0000")
    assert provisional.effective_spread == D("0.40")
    assert provisional.fees == D("0.02")
    assert provisional.fill_rate == D("1")
    assert provisional.ack_latency_ns == 1000
    assert provisional.first_fill_latency_ns == 20 * MS + 1000
    assert provisional.last_fill_latency_ns == 40 * MS + 1000
    assert provisional.markout_100ms_bps is None
    assert provisional.realized_spread is None

    # Fill 1 at T+20ms is due at T+120ms, fill 2 (T+40ms) at T+140ms, and so on.
    tail = [
        quote_mid("100.2", T + 120 * MS),  # exactly at fill 1's +100ms: counts (at or before)
        quote_mid("100.6", T + 130 * MS),  # resolves fill 1 @100ms with 100.2
        quote_mid("100.4", T + 140 * MS),  # exactly at fill 2's +100ms
        market_trade("100.9", "1", T + 141 * MS),  # resolves fill 2 @100ms with 100.4
        quote_mid("100.0", T + 1500 * MS),  # resolves both @1s with 100.4 (latest <= T+1.04s)
        quote_mid("99.8", T + 5030 * MS),  # resolves fill 1 @5s (T+5.02s) with 100.0
        quote_mid("101.0", T + 5050 * MS),  # resolves fill 2 @5s (T+5.04s) with 99.8
        market_trade("101", "1", T + 60_030 * MS),  # resolves fill 1 @60s with 101.0
    ]
    book, out = run(tail, book=book)
    assert out == []  # fill 2's 60 s horizon (T+60.04s) is still pending
    assert len(book.orders) == 1
    book, out = run([quote_mid("90", T + 61 * SECOND)], book=book)
    [final] = out
    assert final.final is True
    assert final.ts_event == T + 61 * SECOND
    # M_100ms = (100.2 + 100.4) / 2 = 100.3: (100.3 - 100.2) / 100.2 * 1e4 = 9.98003992 -> 9.9800
    assert final.markout_100ms_bps == D("9.9800")
    # M_1s = 100.4: 0.2 / 100.2 * 1e4 = 19.96007984 -> 19.9601
    assert final.markout_1s_bps == D("19.9601")
    # M_5s = (100.0 + 99.8) / 2 = 99.9: -0.3 / 100.2 * 1e4 = -29.94011976 -> -29.9401
    assert final.markout_5s_bps == D("-29.9401")
    # M_60s = 101.0 for both: 0.8 / 100.2 * 1e4 = 79.84031936 -> 79.8403
    assert final.markout_60s_bps == D("79.8403")
    # realized spread at delta = 5 s: 2 * (100.20 - 99.9) = 0.60
    assert final.realized_spread == D("0.60")
    assert final.arrival_slippage_bps == provisional.arrival_slippage_bps
    assert book.orders == {}
    assert book.due == []


def test_sell_partially_filled_then_canceled() -> None:
    events = [
        quote_mid("50", T - SECOND),
        accepted(side="sell", qty="10", arrival_mid="50", ts_event=T),
        partial(
            side="sell",
            last_qty="4",
            last_px="49.90",
            cum_qty="4",
            leaves_qty="6",
            avg_px="49.90",
            fee="0.2",
            ts_event=T + MS,
        ),
        quote_mid("49.5", T + 2 * MS),
        canceled(cum_qty="4", ts_event=T + 3 * MS),
    ]
    book, [provisional] = run(events)
    # IS = -1 * ((199.60 - 200) + 6 * (49.5 - 50)) + 0.2 = 3.6 -> 3.6 / 500 * 1e4 = 72 bps
    assert provisional.final is False
    assert provisional.end_mid == D("49.5")
    assert provisional.implementation_shortfall == D("3.6")
    assert provisional.implementation_shortfall_bps == D("72.0000")
    assert provisional.arrival_slippage_bps == D("20.0000")
    assert provisional.effective_spread == D("0.20")
    assert provisional.fill_rate == D("0.4")
    assert provisional.market_vwap is None  # no market trade while it was open
    book, out = run(
        [quote_mid("49.70", T + 4 * MS), market_trade("49.7", "1", T + 61 * SECOND)], book=book
    )
    [final] = out
    # every horizon saw mid 49.70: -1 * (49.70 - 49.90) / 49.90 * 1e4 = 40.0802
    assert [
        final.markout_100ms_bps,
        final.markout_1s_bps,
        final.markout_5s_bps,
        final.markout_60s_bps,
    ] == [D("40.0802")] * 4
    assert final.realized_spread == D("-0.40")  # 2 * -1 * (49.90 - 49.70)
    assert book.orders == {}


def test_unfilled_order_gets_only_a_final_report() -> None:
    events = [
        accepted(qty="1", arrival_mid="100", ts_event=T),
        quote_mid("100.5", T + MS),
        expired(ts_event=T + 2 * MS),
    ]
    book, [final] = run(events)
    assert final.final is True
    assert final.avg_px is None
    assert final.arrival_slippage_bps is None
    # pure opportunity cost: +1 * 1 * (100.5 - 100) = 0.5 -> 0.5 / 100 * 1e4 = 50 bps
    assert final.implementation_shortfall == D("0.5")
    assert final.implementation_shortfall_bps == D("50.0000")
    assert final.fill_rate == D("0")
    assert final.first_fill_latency_ns is None
    assert book.orders == {}
    assert book.open_orders == 0


def test_replace_changes_the_intended_quantity_and_the_id() -> None:
    events = [
        accepted(qty="1", ts_event=T),
        replaced(qty="3", leaves_qty="3", ts_event=T + MS),
        partial(last_qty="1", last_px="100", cl_ord_id="C-2", ts_event=T + 2 * MS),
        replaced(
            cl_ord_id="C-3", orig_cl_ord_id="C-2", qty="1", leaves_qty="0", ts_event=T + 3 * MS
        ),
    ]
    _, [report] = run(events)
    assert (report.cl_ord_id, report.order_qty, report.cum_qty) == ("C-3", D("1"), D("1"))
    assert report.fill_rate == D("1")
    assert report.final is False  # the fill's horizons are still ahead


def test_horizons_past_the_end_of_data_stay_none_and_pending() -> None:
    events = [
        quote_mid("100", T),
        accepted(ts_event=T),
        filled(last_px="100", ts_event=T + MS),
        quote_mid("101", T + 2 * SECOND),  # resolves 100ms and 1s, not 5s nor 60s
    ]
    book, [provisional] = run(events)
    assert provisional.markout_100ms_bps is None  # terminal before any horizon passed
    assert len(book.orders) == 1
    assert len(book.due) == 1
    later = Analyzer(InstrumentRegistry()).report(BTC, book.orders["ACC-1|O-1"], T, final=False)
    assert later.markout_100ms_bps == D("0.0000")
    assert later.markout_1s_bps == D("0.0000")
    assert later.markout_5s_bps is None
    assert later.markout_60s_bps is None


def test_no_quote_at_the_horizon_makes_the_markout_unmeasurable() -> None:
    events = [
        accepted(arrival_mid=None, ts_event=T),
        filled(last_px="100", ts_event=T + MS),
        market_trade("100", "1", T + 70 * SECOND),
    ]
    _, [provisional, final] = run(events)
    assert final.final is True
    assert final.arrival_slippage_bps is None
    assert final.implementation_shortfall is None
    assert final.markout_60s_bps is None
    assert final.realized_spread is None
    assert provisional.final is False


def test_duplicates_foreign_fees_and_unknown_orders_are_ignored() -> None:
    events = [
        accepted(qty="2", ts_event=T),
        accepted(qty="9", ts_event=T),  # a repeated acceptance changes nothing
        partial(exec_id="E-1", last_px="100", fee="0.5", ts_event=T + MS),
        partial(exec_id="E-1", last_px="100", fee="0.5", ts_event=T + MS),  # repeated
        partial(exec_id="E-2", last_px="100", fee="7", fee_currency="BNB", ts_event=T + 2 * MS),
        partial(order_id="O-404", exec_id="E-3", ts_event=T + 3 * MS),  # never accepted
        canceled(ts_event=T + 4 * MS),
        canceled(ts_event=T + 5 * MS),  # already terminal
    ]
    book, [report] = run(events)
    assert (report.order_qty, report.cum_qty, report.fees) == (D("2"), D("2"), D("0.5"))
    assert list(book.orders) == ["ACC-1|O-1"]


def test_a_tick_before_a_horizon_touches_nothing() -> None:
    book, _ = run([quote_mid("100", T), accepted(ts_event=T), filled(ts_event=T + MS)])
    due_before = list(book.due)
    book, out = run([quote_mid("100.1", T + 101 * MS)], book=book)  # due at T+101ms: not past
    assert out == []
    assert book.due == due_before
    book, _ = run([quote_mid("100.2", T + 102 * MS)], book=book)
    assert book.due[0][3] == 1  # moved on to the 1 s horizon

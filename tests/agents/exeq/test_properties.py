"""Invariants of the analyzer over generated sessions of ticks and order events."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.exeq.analyzer import Analyzer
from agents.exeq.state import ExeqBook
from agents.instruments import InstrumentRegistry
from schemas import ExecutionQuality
from streams.state import encode_state
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

STEPS = (0, MS, 50 * MS, 700 * MS, 3 * SECOND, 20 * SECOND)
ANALYZER = Analyzer(InstrumentRegistry())


@st.composite
def sessions(draw: st.DrawFn) -> list[Any]:
    """Ticks and the lifecycles of a few orders, in time order, every order ended."""
    t, events, serial = T0, [], 0
    open_orders: dict[str, list[Any]] = {}  # order id -> [side, qty, filled]
    for _ in range(draw(st.integers(3, 40))):
        t += draw(st.sampled_from(STEPS))
        action = draw(st.sampled_from(["quote", "trade", "accept", "fill", "end", "replace"]))
        mid = str(D(draw(st.integers(9_900, 10_100))) / 100)
        if action == "quote":
            events.append(quote_mid(mid, t))
        elif action == "trade":
            events.append(market_trade(mid, str(draw(st.integers(1, 9))), t))
        elif action == "accept" or not open_orders:
            serial += 1
            order_id, side, qty = f"O-{serial}", draw(st.sampled_from(["buy", "sell"])), 5
            arrival = draw(st.sampled_from([None, "100"]))
            events.append(
                accepted(
                    order_id=order_id, side=side, qty=str(qty), arrival_mid=arrival, ts_event=t
                )
            )
            open_orders[order_id] = [side, qty, 0]
        else:
            order_id = draw(st.sampled_from(sorted(open_orders)))
            side, qty, done = open_orders[order_id]
            if action == "fill":
                size = draw(st.integers(1, qty - done))
                done += size
                factory = filled if done == qty else partial
                serial += 1
                events.append(
                    factory(
                        order_id=order_id,
                        exec_id=f"E-{serial}",
                        side=side,
                        last_qty=str(size),
                        last_px=mid,
                        fee="0.01",
                        ts_event=t,
                    )
                )
                open_orders[order_id][2] = done
                if done == qty:
                    del open_orders[order_id]
            elif action == "replace":
                events.append(replaced(order_id=order_id, qty=str(qty), leaves_qty=str(qty - done)))
            else:
                end = draw(st.sampled_from([canceled, expired]))
                events.append(end(order_id=order_id, cum_qty=str(done), ts_event=t))
                del open_orders[order_id]
    for order_id in sorted(open_orders):
        events.append(canceled(order_id=order_id, cum_qty=str(open_orders[order_id][2])))
    events.append(market_trade("100", "1", t + 61 * SECOND))  # past every horizon
    return events


def run(events: list[Any], book: ExeqBook | None = None) -> tuple[ExeqBook, list[str]]:
    book = book or ExeqBook(instrument=BTC)
    out: list[str] = []
    for event in events:
        book, reports = ANALYZER.process(book, event, FixedView())
        out.extend(report.model_dump_json() for report in reports)
    return book, out


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_same_inputs_give_identical_outputs_and_state(events: list[Any]) -> None:
    first_book, first = run(events)
    second_book, second = run(events)
    assert first == second
    assert encode_state(first_book) == encode_state(second_book)


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_finished_orders_leave_memory(events: list[Any]) -> None:
    book, _ = run(events)
    assert book.orders == {}
    assert book.due == []
    assert (book.open_orders, book.trade_pv, book.trade_volume, book.seq) == (0, D(0), D(0), 0)


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_one_final_report_per_order_and_it_comes_last(events: list[Any]) -> None:
    _, out = run(events)
    reports = [ExecutionQuality.model_validate_json(line) for line in out]
    accepted_ids = {e.order_id for e in events if e.kind == "order_accepted"}
    finals = [r.order_id for r in reports if r.final]
    assert sorted(finals) == sorted(accepted_ids)
    last_seen: dict[str, ExecutionQuality] = {}
    for report in reports:
        assert report.order_id not in last_seen or not last_seen[report.order_id].final
        last_seen[report.order_id] = report
    for report in reports:
        if report.final and report.cum_qty > 0 and report.arrival_mid is not None:
            assert report.arrival_slippage_bps is not None


@settings(max_examples=40, deadline=None)
@given(sessions(), st.integers(0, 100))
def test_state_survives_a_round_trip_mid_stream(events: list[Any], cut: int) -> None:
    cut = cut % (len(events) + 1)
    _, whole = run(events)
    book, head = run(events[:cut])
    restored = msgspec.json.decode(encode_state(book), type=ExeqBook)
    _, tail = run(events[cut:], restored)
    assert head + tail == whole

"""Fold benchmarks: positions cost per fill as one position's history grows, positions
+ PnL fills/s, the risk check in-process, and every table's fold rate over a session."""

from __future__ import annotations

import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from agents.instruments import InstrumentRegistry
from agents.oms.exposure import account_exposure
from agents.oms.state import AccountBook
from agents.pnl.marker import PnlMarker
from agents.pnl.state import PnlBook
from agents.positions.fold import apply_fill
from agents.positions.state import Position
from agents.registry import Config, agent_named, build_agents, embedded_runtime
from agents.risk import check
from agents.tickers.state import Ticker
from agents.view import TablesView
from bench.harness import progress
from schemas import Fill, SubmitOrder
from streams.codec import decode_payload
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from streams.state import Table

INSTRUMENT = "binance-futures:BTCUSDT"
BLOCK = 1000
ROUNDS = 3


def _fills(count: int, seed: int = 1) -> list[Any]:
    """Decoded fills (what a fold receives), one account, one instrument."""
    rng = random.Random(seed)
    fills = []
    for i in range(count):
        fill = Fill(
            exec_id=f"X-{i}",
            account="ACC-1",  # type: ignore[arg-type]
            instrument=INSTRUMENT,  # type: ignore[arg-type]
            side="buy" if rng.random() < 0.5 else "sell",
            qty=Decimal(rng.randint(1, 50)) / 1000,
            price=Decimal(rng.randint(900_000, 1_100_000)) / 100,
            fee=Decimal(rng.randint(0, 200)) / 10_000,
            fee_currency="USDT",
            ts_event=1_700_000_000_000_000_000 + i,
        )
        fills.append(decode_payload("fill", fill.model_dump_json()))
    return fills


def positions_flat(fills: int) -> dict[str, Any]:
    """ns per fill for each block of 1,000 fills into one position: first, last, ratio."""
    events = _fills(fills)
    definition = InstrumentRegistry().require(INSTRUMENT)
    position = Position(account="ACC-1", instrument=INSTRUMENT)
    blocks = []
    for start in range(0, fills, BLOCK):
        begin = time.perf_counter_ns()
        for fill in events[start : start + BLOCK]:
            position = apply_fill(position, fill, definition)
        blocks.append((time.perf_counter_ns() - begin) / BLOCK)
    first, last = blocks[0], blocks[-1]
    middle = sorted(blocks)[len(blocks) // 2]
    return {
        "position_fills": fills,
        "ns_per_fill_first_1k": round(first),
        "ns_per_fill_median_block": round(middle),
        "ns_per_fill_last_1k": round(last),
        "last_to_first_ratio": round(last / first, 3),
    }


def positions_and_pnl(fills: int) -> dict[str, Any]:
    """Fills/s through the positions fold and the PnL marker (a snapshot per fill): the
    fastest of ``ROUNDS`` rounds from empty, so a burst of load on the shared machine is
    not what is measured."""
    config = Config()
    events = _fills(fills, seed=2)
    tickers = {INSTRUMENT: Ticker(instrument=INSTRUMENT, bid=Decimal(10000), ask=Decimal(10001))}
    view = TablesView({"tickers": _States(tickers)}, config.registry)  # type: ignore[dict-item]
    agent = agent_named(build_agents(config), "positions")
    event_ids = [f"fill:ACC-1:{fill.exec_id}" for fill in events]  # the journal has them
    fastest = float("inf")
    for _ in range(ROUNDS):
        positions = Table(agent)
        marker = PnlMarker(config.registry)
        book = PnlBook(account="ACC-1")
        begin = time.perf_counter()
        for event_id, fill in zip(event_ids, events, strict=True):
            positions.fold(event_id, fill)
            book, _ = marker.process(book, fill, view)
        fastest = min(fastest, time.perf_counter() - begin)
    return {"positions_pnl_fills": fills, "positions_pnl_fills_per_s": fills / fastest}


class _States:
    def __init__(self, states: dict[str, Any]) -> None:
        self.states = states


def risk_latency(checks: int) -> dict[str, Any]:
    """One risk check in-process, p50/p99 over ``checks`` orders against a live book."""
    config = Config()
    tickers = {
        INSTRUMENT: Ticker(instrument=INSTRUMENT, bid=Decimal(10000), ask=Decimal("10000.5"))
    }
    view = TablesView({"tickers": _States(tickers)}, config.registry)  # type: ignore[dict-item]
    book = AccountBook(account="ACC-1")
    orders = [
        SubmitOrder(
            account="ACC-1",  # type: ignore[arg-type]
            cl_ord_id=f"R{i}",  # type: ignore[arg-type]
            instrument=INSTRUMENT,  # type: ignore[arg-type]
            side="buy",
            order_type="limit",
            qty=Decimal("0.01"),
            limit_price=Decimal("9990"),
            ts_event=1_700_000_000_000_000_000 + i * 10_000_000,
        )
        for i in range(checks)
    ]
    histogram = HdrHistogram(1, 10_000_000, 3)  # ns / 10
    for order in orders:
        begin = time.perf_counter_ns()
        decision = check(order, account_exposure(book, order.cl_ord_id), config.limits, view)
        histogram.record_value(max(1, (time.perf_counter_ns() - begin) // 10))
        assert decision.approved, decision.reason
    return {
        "risk_checks": checks,
        "risk_check_p50_us": histogram.get_value_at_percentile(50) / 100,
        "risk_check_p99_us": histogram.get_value_at_percentile(99) / 100,
    }


def table_folds(ticks: int, orders: int) -> dict[str, Any]:
    """Events/s of each table's fold, replayed alone over a synthetic session's journal."""
    from agents.normalizer import Normalizer, synthetic_feed
    from agents.orderflow.generator import OrderFlow
    from agents.session import Session

    config = Config()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal.in_dir(Path(tmp))
        flow = OrderFlow(
            seed=3, orders=orders, ticks=ticks, accounts=["A", "B", "C"], registry=config.registry
        )
        with progress() as bar:
            task = bar.add_task("session for fold rates", total=ticks)
            session = Session(
                journal, embedded_runtime(journal, config), flow,
                lambda n: bar.update(task, completed=n),
            )  # fmt: skip
            session.run(Normalizer(config.registry).feed_ticks(synthetic_feed(3, count=ticks)))
        for agent in build_agents(config):
            if not agent.replayable:
                continue
            begin = time.perf_counter()
            done = replay(journal, [agent])
            seconds = time.perf_counter() - begin
            result[f"fold_{agent.name}_events_per_s"] = done.events / seconds if done.events else 0
        journal.close_now()
    return result


def run(fills: int, checks: int, ticks: int, orders: int) -> dict[str, Any]:
    return {
        **positions_flat(fills),
        **positions_and_pnl(min(fills, 50_000)),
        **risk_latency(checks),
        **table_folds(ticks, orders),
    }

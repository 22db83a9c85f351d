"""Order -> accepted latency on the embedded engine, with the journal committed.

Open loop: order i is due at ``start + i / rate``; whenever the loop finds orders due it
appends them to ``orders.commands`` and runs the runtime (tickers + oms) until their
decisions are committed. Each order's latency runs from the moment it was *due*, not the
moment it was sent, so a stall counts against every order that waited behind it
(coordinated omission accounted for). ``rate=0`` offers everything at once: the maximum
rate. The decisions are checked: every order must be accepted.
"""

from __future__ import annotations

import gc
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from agents.oms import agent as oms_agent
from agents.registry import Config
from agents.tickers import agent as tickers_agent
from agents.view import TablesView
from bench.harness import progress
from schemas import Quote, SubmitOrder
from streams.agent import Agent
from streams.records import NewRecord, new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS

INSTRUMENT = "binance-futures:BTCUSDT"
ACCOUNTS = 128
T0 = 1_700_000_000_000_000_000


def order_records(count: int) -> list[NewRecord]:
    records = []
    for i in range(count):
        order = SubmitOrder(
            account=f"ACC-{i % ACCOUNTS}",  # type: ignore[arg-type]
            cl_ord_id=f"B{i:08d}",  # type: ignore[arg-type]
            instrument=INSTRUMENT,  # type: ignore[arg-type]
            side="buy" if i % 2 else "sell",
            order_type="limit",
            qty=Decimal("0.001") * (1 + i % 9),
            limit_price=Decimal("9990.00") + Decimal(i % 7) if i % 2 else Decimal("10010.50"),
            tif="GTC",
            ts_event=T0 + 1_000_000 * (i + 1),
        )
        records.append(new_record(ORDERS_COMMANDS, order))
    return records


def opening_quote() -> Quote:
    """The quote the benchmarks' orders are priced against (their limits rest inside it)."""
    return Quote(
        instrument=INSTRUMENT,  # type: ignore[arg-type]
        bid=Decimal("10000.00"),
        bid_size=Decimal(5),
        ask=Decimal("10000.50"),
        ask_size=Decimal(5),
        ts_event=T0,
        ts_recv=T0,
    )


def _runtime(journal: SqliteJournal) -> EmbeddedRuntime:
    config = Config()
    agents: list[Agent[Any]] = [
        tickers_agent.build(),
        oms_agent.build(config.registry, config.limits),
    ]
    runtime = EmbeddedRuntime(
        journal, agents, lambda tables: TablesView(tables, config.registry), batch_size=4096
    )
    with journal.transaction():
        journal.append_in_transaction([new_record(MD_TICKS, opening_quote())])
    runtime.catchup()
    return runtime


def run(rate: float, duration: float) -> dict[str, Any]:
    count = max(int(rate * duration), 1) if rate > 0 else int(50_000 * duration)
    orders = order_records(count)
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal.in_dir(Path(tmp))
        runtime = _runtime(journal)
        # The pre-built orders are the load generator's, not the engine's: frozen with the
        # startup heap, they stay out of every collection the run triggers (as a
        # long-running engine freezes its own startup heap once it has caught up).
        gc.collect()
        gc.freeze()
        cpu = time.process_time()
        try:
            batches, elapsed = _offer(runtime, orders, rate)
        finally:
            gc.unfreeze()
        cpu = time.process_time() - cpu
        accepted = journal.db.execute(
            "SELECT count(*) FROM journal WHERE kind = 'order_accepted'"
        ).fetchone()[0]
        journal.close_now()
    if accepted != count:
        raise RuntimeError(f"only {accepted} of {count} orders were accepted")
    histogram = _latencies(batches, 1e9 / rate if rate > 0 else 0.0)
    return {
        "offered_rate": rate if rate > 0 else None,
        "orders": count,
        "achieved_rate": count / elapsed,
        # CPU of the whole process (engine threads included) per order: on a shared
        # machine the rate moves with the neighbours' load, this much less.
        "cpu_us_per_order": cpu * 1e6 / count,
        "p50_us": histogram.get_value_at_percentile(50),
        "p99_us": histogram.get_value_at_percentile(99),
        "p999_us": histogram.get_value_at_percentile(99.9),
        "max_us": histogram.get_max_value(),
    }


def _offer(
    runtime: EmbeddedRuntime, orders: list[NewRecord], rate: float
) -> tuple[list[tuple[int, int, int]], float]:
    """Submit every order as it falls due; returns (first, end, committed-at ns since
    start) per batch and the seconds it all took. The loop does O(1) work per batch
    (latencies are computed afterwards) and redraws the progress bar at most once a
    second, so the load generator's own cost stays out of the orders' way."""
    count = len(orders)
    interval_ns = int(1e9 / rate) if rate > 0 else 0
    batches: list[tuple[int, int, int]] = []
    sent = 0
    bar = progress()
    bar.live.auto_refresh = False
    with bar:
        task = bar.add_task(f"oms @ {rate:g}/s" if rate else "oms max", total=count)
        start = redrawn = time.perf_counter_ns()
        while sent < count:
            now = time.perf_counter_ns()
            if now - redrawn > 1_000_000_000:
                bar.update(task, completed=sent, refresh=True)
                redrawn = now
            due = count if not interval_ns else min(count, (now - start) // interval_ns + 1)
            if due <= sent:
                time.sleep(max(0.0, (start + sent * interval_ns - now) / 1e9 - 50e-6))
                continue
            if not interval_ns:
                due = min(count, sent + 4096)
            runtime.submit(orders[sent:due])
            batches.append((sent, due, time.perf_counter_ns() - start))
            sent = due
        elapsed = (time.perf_counter_ns() - start) / 1e9
        bar.update(task, completed=sent, refresh=True)
    return batches, elapsed


def _latencies(batches: list[tuple[int, int, int]], interval_ns: float) -> HdrHistogram:
    """Each order's latency from when it was due (order i: ``i * interval_ns`` after the
    start; all at the start for the maximum rate) to its batch's commit, in us."""
    histogram = HdrHistogram(1, 60_000_000, 3)  # microseconds, 1 us .. 60 s
    step = int(interval_ns)
    for first, end, done in batches:
        if not step:
            histogram.record_value(max(1, done // 1000), end - first)
            continue
        for i in range(first, end):
            histogram.record_value(max(1, (done - i * step) // 1000))
    return histogram

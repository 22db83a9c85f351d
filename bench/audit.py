"""Audit benchmarks: `audit order` latency on a big journal, chDB sink-alt rows/s.

The journal is built quickly by appending pre-encoded records in big transactions (no
pydantic per record): per order a submit, a risk decision, an acceptance, a fill and
the filled event, between runs of ticks (three ticks per order record, about the mix of
`tapeline run`).

What a user waits for, measured separately:

* ``index_build_s``: the first audit of a journal that has no order-id index yet
  (``agents.audit.order_index`` builds it over the whole log, once);
* ``audit_order``: the answer in-process (index open, already caught up), with and
  without ``--account``; ``open_ms`` opens the index, checks it is caught up, closes;
* ``tail``: after ``TAIL_EVENTS`` more events are appended, the next audit's catch-up
  (only the new tail is read);
* ``cli``: the whole ``python -m agents.cli audit order ... --format json`` process,
  Python start-up and imports included, beside a bare ``python -c pass`` and
  ``python -m agents.cli --help`` (the start-up every command pays).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.audit.order import order_trail
from agents.audit.order_index import OrderIndex
from agents.sink_alt import AltSink, ChdbTarget, synthetic_alt
from bench.harness import peak_rss_mb, progress, stopwatch
from streams.records import NewRecord, new_record
from streams.sqlite_journal import JOURNAL_FILE, SqliteJournal
from streams.topics import ALT_RAW

BATCH = 50_000
ACCOUNTS = 8
TICKS_PER_ORDER = 15
BASE_TS = 1_700_000_000_000_000_000
TAIL_EVENTS = 10_000
CLI_SAMPLES = 5


def _order_records(n: int, ts: int) -> list[NewRecord]:
    account, cl = f"ACC-{n % ACCOUNTS}", f"C{n:09d}"
    inst, oid, submit = f"synthetic:I{n % 3}", f"{account}-{n}", f"submit_order:{n}"
    side = "buy" if n % 2 else "sell"
    head = f'"kind":"%s","ts_event":{ts},"account":"{account}","cl_ord_id":"{cl}"'
    bodies = [
        ("orders.commands", "submit_order", submit, None,
         f'"instrument":"{inst}","side":"{side}","order_type":"market","qty":"2",'
         '"limit_price":null,"tif":"DAY","expire_ts":null'),
        ("orders.events", "order_accepted", f"oms:{submit}:0", submit,
         f'"order_id":"{oid}","instrument":"{inst}","side":"{side}","order_type":"market",'
         f'"qty":"2","limit_price":null,"tif":"DAY","expire_ts":null,"arrival_mid":"100.5",'
         f'"ts_command":{ts}'),
        ("risk.decisions", "risk_decision", f"oms:{submit}:1", submit,
         '"approved":true,"rule":null,"limit":null,"observed":null,"reason":"approved"'),
        ("exec.reports", "fill", f"venue:{submit}:0", f"oms:{submit}:0",
         f'"exec_id":"{oid}-F1","instrument":"{inst}","side":"{side}","qty":"2",'
         '"price":"100.5","fee":"0.1","fee_currency":"USD","liquidity":"taker"'),
        ("orders.events", "order_filled", f"oms:venue:{submit}:0", f"venue:{submit}:0",
         f'"order_id":"{oid}","instrument":"{inst}","exec_id":"{oid}-F1","side":"{side}",'
         '"last_qty":"2","last_px":"100.5","cum_qty":"2","leaves_qty":"0","avg_px":"100.5",'
         '"fee":"0.1","fee_currency":"USD"'),
    ]  # fmt: skip
    records = []
    for topic, kind, event_id, cause, rest in bodies:
        text = "{" + (head % kind) + "," + rest + "}"
        if kind == "fill":  # a fill's fields come in its own order, cl_ord_id included
            text = "{" + f'"kind":"fill","ts_event":{ts},"account":"{account}",' + rest
            text += f',"cl_ord_id":"{cl}"' + "}"
        records.append(
            NewRecord(topic, account, kind, 1, event_id, ts, text.encode(), cause, submit)
        )
    return records


def _tick(i: int, ts: int) -> NewRecord:
    inst = f"synthetic:I{i % 3}"
    payload = (
        f'{{"kind":"trade","ts_event":{ts},"instrument":"{inst}","trade_id":"t{i}",'
        f'"price":"100.5","size":"3","aggressor":"buy","ts_recv":{ts}}}'
    )
    return NewRecord("md.ticks", inst, "trade", 1, f"trade:{inst}:t{i}", ts, payload.encode())


def _append(journal: SqliteJournal, records: list[NewRecord]) -> None:
    with journal.transaction():
        journal.append_in_transaction(records)


def build_journal(path: Path, events: int, first_step: int = 0) -> tuple[int, float]:
    """Append about ``events`` records (ticks and orders from ``first_step`` on); the
    number of orders appended and the seconds it took."""
    journal = SqliteJournal(path)
    pending: list[NewRecord] = []
    written = orders = 0
    step = first_step
    with stopwatch() as elapsed, progress() as bar:
        task = bar.add_task("build journal", total=events)
        while written + len(pending) < events:
            ts = BASE_TS + step * 1_000_000
            if step % (TICKS_PER_ORDER + 1) == 0:
                pending.extend(_order_records(step // (TICKS_PER_ORDER + 1), ts))
                orders += 1
            else:
                pending.append(_tick(step, ts))
            step += 1
            if len(pending) >= BATCH:
                _append(journal, pending)
                written += len(pending)
                bar.update(task, completed=written)
                pending = []
        if pending:
            _append(journal, pending)
        journal.checkpoint_wal()
        journal.close_now()
    return orders, elapsed()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
    }


def index_build(path: Path) -> float:
    """Seconds for the first audit's full index build (what the progress bar shows)."""
    with OrderIndex(path) as index, stopwatch() as elapsed, progress() as bar:
        task = bar.add_task("index order ids", total=index.pending())
        index.catch_up(lambda done, total: bar.update(task, completed=done))
    return elapsed()


def audit_latency(path: Path, orders: int, samples: int = 200) -> dict[str, Any]:
    """In-process answers on a caught-up index; every trail checked complete."""
    picks = [(n * 7919) % orders for n in range(samples)]
    with_account, without = [], []
    with OrderIndex(path) as index, progress() as bar:
        task = bar.add_task("audit order", total=samples + samples // 2)
        for n in picks:
            with stopwatch() as elapsed:
                trail = order_trail(index, f"C{n:09d}", f"ACC-{n % ACCOUNTS}")
            assert len(trail.entries) == 5, trail
            with_account.append(elapsed())
            bar.advance(task)
        for n in picks[: samples // 2]:
            with stopwatch() as elapsed:
                trail = order_trail(index, f"C{n:09d}")
            assert len(trail.entries) == 5, trail
            without.append(elapsed())
            bar.advance(task)
    with stopwatch() as opened, OrderIndex(path) as index:
        index.catch_up()
    return {
        "with_account": _percentiles(with_account),
        "without_account": _percentiles(without),
        "open_ms": round(opened() * 1000, 1),
        "samples": samples,
    }


def tail_catch_up(path: Path, events: int) -> dict[str, Any]:
    """Grow the journal by ``TAIL_EVENTS``; the next audit indexes only that tail."""
    with OrderIndex(path) as index:
        before = index.indexed_seq()
    build_journal(path, TAIL_EVENTS, first_step=events * 2)
    with OrderIndex(path) as index, stopwatch() as elapsed:
        pending = index.pending()
        after = index.catch_up()
    assert after - before == pending, (before, pending, after)
    return {"events": pending, "catch_up_ms": round(elapsed() * 1000, 1)}


def _timed_runs(command: Sequence[str], samples: int) -> dict[str, float]:
    times = []
    for _ in range(samples):
        with stopwatch() as elapsed:
            subprocess.run(command, check=True, capture_output=True)  # noqa: S603
        times.append(elapsed())
    return _percentiles(times)


def cli_latency(directory: Path, orders: int, samples: int = CLI_SAMPLES) -> dict[str, Any]:
    """Whole processes, as a user runs them (Python start-up and imports included)."""
    n = orders // 3
    order = [sys.executable, "-m", "agents.cli", "audit", "order", f"C{n:09d}"]
    order += ["--data-dir", str(directory), "--format", "json"]
    return {
        "python_startup": _timed_runs([sys.executable, "-c", "pass"], samples),
        "cli_help": _timed_runs([sys.executable, "-m", "agents.cli", "--help"], samples),
        "with_account": _timed_runs([*order, "--account", f"ACC-{n % ACCOUNTS}"], samples),
        "without_account": _timed_runs(order, samples),
        "samples": samples,
    }


def sink_rate(directory: Path, points: int) -> dict[str, Any]:
    journal = SqliteJournal(directory / "alt.sqlite")
    feed = synthetic_alt(1, ["binance-futures:BTCUSDT", "synthetic:ALPHA"], BASE_TS, points)
    with journal.transaction():
        journal.append_in_transaction([new_record(ALT_RAW, point) for point in feed])
    target = ChdbTarget(directory / "chdb")
    with stopwatch() as elapsed:
        counters = AltSink(journal, target).run_until_caught_up()
    seconds = elapsed()
    target.close()
    journal.close_now()
    return {"points": counters.points_written, "rows_per_s": round(points / seconds)}


def run(events: int, alt_points: int = 100_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tapeline-bench-audit-") as tmp:
        directory = Path(tmp)
        path = directory / JOURNAL_FILE
        peaks = {"imports": round(peak_rss_mb())}
        orders, build_s = build_journal(path, events)
        peaks["build"] = round(peak_rss_mb())
        started = time.perf_counter()
        index_s = index_build(path)
        latency = audit_latency(path, orders)
        audit_s = time.perf_counter() - started
        peaks["audit"] = round(peak_rss_mb())
        cli = cli_latency(directory, orders)
        tail = tail_catch_up(path, events)
        sink = sink_rate(directory, alt_points)
        peaks["sink_alt"] = round(peak_rss_mb())
    return {
        "events": events,
        "orders": orders,
        "build_s": round(build_s, 1),
        "index_build_s": round(index_s, 2),
        "audit_order": latency,
        "audit_s": round(audit_s, 1),
        "cli": cli,
        "tail": tail,
        "target_p50_ms": 200,
        "sink_alt_chdb": sink,
        "peak_rss_mb": round(peak_rss_mb()),
        "peak_rss_mb_after": peaks,
    }

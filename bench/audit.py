"""Audit benchmarks: `audit order` latency on a big journal, chDB sink-alt rows/s.

The journal is built quickly by appending pre-encoded records in big transactions (no
pydantic per record): per order a submit, a risk decision, an acceptance, a fill and
the filled event, between runs of ticks (three ticks per order record, about the mix of
`tapeline run`). Latency is measured with and without ``--account`` (without it, the
account is found by one scan of the command and order-event payloads).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agents.audit.db import AuditDb
from agents.audit.order import order_trail
from agents.sink_alt import AltSink, ChdbTarget, synthetic_alt
from bench.harness import peak_rss_mb, progress, stopwatch
from streams.records import NewRecord, new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import ALT_RAW

BATCH = 50_000
ACCOUNTS = 8
TICKS_PER_ORDER = 15
BASE_TS = 1_700_000_000_000_000_000


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


def build_journal(path: Path, events: int) -> tuple[int, float]:
    """Append about ``events`` records; the number of orders and the seconds it took."""
    journal = SqliteJournal(path)
    pending: list[NewRecord] = []
    written = orders = step = 0
    with stopwatch() as elapsed, progress() as bar:
        task = bar.add_task("build journal", total=events)
        while written + len(pending) < events:
            ts = BASE_TS + step * 1_000_000
            if step % (TICKS_PER_ORDER + 1) == 0:
                pending.extend(_order_records(orders, ts))
                orders += 1
            else:
                pending.append(_tick(step, ts))
            step += 1
            if len(pending) >= BATCH:
                with journal.transaction():
                    journal.append_in_transaction(pending)
                written += len(pending)
                bar.update(task, completed=written)
                pending = []
        if pending:
            with journal.transaction():
                journal.append_in_transaction(pending)
        journal.checkpoint_wal()
        journal.close_now()
    return orders, elapsed()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p99_ms": round(p99 * 1000, 1)}


def audit_latency(path: Path, orders: int, samples: int = 36) -> dict[str, Any]:
    picks = [(n * 7919) % orders for n in range(samples)]
    with_account, without = [], []
    with AuditDb.open(path) as db:
        for n in picks:
            account = f"ACC-{n % ACCOUNTS}"
            with stopwatch() as elapsed:
                trail = order_trail(db, f"C{n:09d}", account)
            assert len(trail.entries) == 5, trail
            with_account.append(elapsed())
        for n in picks[: max(6, samples // 6)]:
            with stopwatch() as elapsed:
                order_trail(db, f"C{n:09d}")
            without.append(elapsed())
    with stopwatch() as opened:
        AuditDb.open(path).close()
    return {
        "with_account": _percentiles(with_account),
        "without_account": _percentiles(without),
        "open_ms": round(opened() * 1000, 1),
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
        path = directory / "journal.sqlite"
        orders, build_s = build_journal(path, events)
        started = time.perf_counter()
        latency = audit_latency(path, orders)
        audit_s = time.perf_counter() - started
        sink = sink_rate(directory, alt_points)
    return {
        "events": events,
        "orders": orders,
        "build_s": round(build_s, 1),
        "audit_order": latency,
        "audit_s": round(audit_s, 1),
        "target_p50_ms": 200,
        "sink_alt_chdb": sink,
        "peak_rss_mb": round(peak_rss_mb()),
    }

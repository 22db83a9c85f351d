"""Cluster mode on the real broker: faust pipeline throughput and order -> accepted latency.

* throughput: a synthetic session (ticks + a seeded order flow) in a fresh namespace;
  the first tenth (the seed) is appended, 1 (and 2) faust workers with every agent start
  and catch up on it (``startup_seconds``: spawn, group join, table recovery, the seed);
  then the rest is appended and timed from its first append to the last commit: the
  steady-state ``events_per_s`` counts every record the workers consumed in that time
  (inputs and the outputs they fed back). ``with_startup_events_per_s`` is the old
  figure (all records over spawn -> last commit). Beside it: a raw aiokafka consumer
  reading every record of the same topics (no decode, no agents), and both ratios
  (``faust_over_raw``: the target is >= 0.5). Then ``raw_pipeline_*``: the same work as
  the workers without faust (``bench.raw_pipeline``: every record of the same
  topics through the same agents, rows and outputs produced, acknowledged, offsets
  committed) in this process, and ``faust_over_raw_pipeline`` (what faust itself costs).
  ``cpu_us_per_event`` (the workers' CPU time over the steady-state events; the raw
  reader's and the raw pipeline's own) is the figure that survives a machine shared with
  other work, where the rates mostly say how much CPU we got.
* latency: one worker running tickers + oms; submit orders are appended at ``rate``/s
  on schedule (each append carries every order due by then); latency = when the ``order_accepted`` /
  ``order_rejected`` caused by it is read back - when the order was *due* (coordinated
  omission accounted for).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from agents.cli.kafka_cmds import Workers, _records, append_all
from agents.normalizer import Normalizer, synthetic_feed
from agents.orderflow.generator import OrderFlow
from agents.registry import Config, build_agents
from agents.tickers.agent import NAME as TICKERS
from agents.view import TablesView
from bench.harness import progress
from bench.oms import opening_quote, order_records
from bench.raw_pipeline import RawRun, raw_pipeline
from streams.faust_app import agent_partitions, topic_partitions
from streams.faust_wire import changelog_topic, kafka_topic, seen_table
from streams.kafka_log import DEFAULT_BOOTSTRAP, KafkaLog
from streams.kafka_replay import consumed_topics, drop_cluster_namespace, wait_caught_up
from streams.records import new_record
from streams.state import Table
from streams.topics import MD_TICKS, ORDERS_EVENTS

SEED_FRACTION = 10
"""The seed (appended before the workers start) is this fraction of the session..."""
SEED_MIN = 200
"""...and at least this many records, so start-up includes real table work."""


def _namespace(tag: str) -> str:
    return f"bench{tag}{int(time.time() * 1000) % 10**9}"


async def _raw_read(bootstrap: str, namespace: str, topics: set[str]) -> tuple[int, float]:
    tps = [
        TopicPartition(kafka_topic(namespace, t), p)
        for t in sorted(topics)
        for p in range(topic_partitions(t))
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        total = sum(ends.values())
        started = time.perf_counter()
        seen = 0
        while seen < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(messages) for messages in batch.values())
        return total, time.perf_counter() - started
    finally:
        await consumer.stop()


async def _raw_pipeline(
    bootstrap: str, namespace: str, agents: list[Any], config: Config
) -> RawRun:
    reference = next(a for a in agents if a.name == TICKERS)

    def view(tables: Mapping[str, Table[Any]]) -> TablesView:
        return TablesView(tables, config.registry)

    return await raw_pipeline(bootstrap, namespace, agents, reference, view)


def _changelogs(namespace: str, agents: list[Any]) -> dict[str, int]:
    """The workers' changelog topics (Kafka names) and their partition counts."""
    return {
        changelog_topic(namespace, table): agent_partitions(agent)
        for agent in agents
        for table in (agent.name, seen_table(agent.name))
    }


async def _ends(bootstrap: str, names: dict[str, int]) -> int:
    """Records in the topics ``names`` (Kafka name -> partitions) so far."""
    tps = [TopicPartition(name, p) for name, count in sorted(names.items()) for p in range(count)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


def _cpu_seconds(pool: Workers) -> float:
    """CPU time (user + system) the worker processes and their children (a supervised
    ``tapeline worker`` runs faust in a child) have used so far (Linux ``/proc``).

    On a shared machine the wall-clock rate says how much CPU the workers were given;
    CPU per event says what the pipeline costs."""
    stats: dict[int, tuple[int, int]] = {}  # pid -> (parent pid, CPU ticks)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree = {proc.pid for proc in pool.procs}
    grown = True
    while grown:
        children = {pid for pid, (parent, _) in stats.items() if parent in tree} - tree
        grown = bool(children)
        tree |= children
    return sum(stats[pid][1] for pid in tree if pid in stats) / os.sysconf("SC_CLK_TCK")


def throughput(bootstrap: str, ticks: int, orders: int, workers: int) -> dict[str, Any]:
    """Start-up (spawn -> joined and caught up on a seed) apart from steady state (first
    append of the bulk -> everything committed, the outputs the workers fed back
    included); raw aiokafka reads every record of the same topics afterwards."""
    config = Config()
    agents = build_agents(config)
    topics = consumed_topics(agents)
    namespace = _namespace(f"w{workers}")
    normalizer = Normalizer(config.registry)
    flow = OrderFlow(seed=7, orders=orders, ticks=ticks, accounts=["ACC-1", "ACC-2"],
                     registry=config.registry)  # fmt: skip
    records = list(_records(normalizer.feed_ticks(synthetic_feed(7, count=ticks)), flow))
    cut = max(SEED_MIN, len(records) // SEED_FRACTION)
    seed, bulk = records[:cut], records[cut:]
    root = Path(tempfile.mkdtemp(prefix="tapeline-bench-"))

    async def append(batch: list[Any]) -> None:
        log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
        try:
            await append_all(log, batch)
        finally:
            await log.close()

    async def bulk_run(pool: Workers) -> None:
        await append(bulk)
        await wait_caught_up(bootstrap, namespace, agents, 900, pool.check)

    with progress() as bar:
        task = bar.add_task(f"kafka pipeline, {workers} worker(s)", total=4)
        asyncio.run(append(seed))
        pool = Workers(root, namespace, workers)
        try:
            started = time.perf_counter()
            asyncio.run(wait_caught_up(bootstrap, namespace, agents, 900, pool.check))
            startup = time.perf_counter() - started
            bar.advance(task)
            inputs = {kafka_topic(namespace, t): topic_partitions(t) for t in topics}
            changelogs = _changelogs(namespace, agents)
            before = asyncio.run(_ends(bootstrap, inputs))
            changes_before = asyncio.run(_ends(bootstrap, changelogs))
            cpu_before = _cpu_seconds(pool)
            steady_start = time.perf_counter()
            asyncio.run(bulk_run(pool))
            ended = time.perf_counter()
            cpu = _cpu_seconds(pool) - cpu_before
            steady = asyncio.run(_ends(bootstrap, inputs)) - before
            changes = asyncio.run(_ends(bootstrap, changelogs)) - changes_before
            bar.advance(task)
            raw_cpu_before = time.process_time()
            consumed, raw_seconds = asyncio.run(_raw_read(bootstrap, namespace, topics))
            raw_cpu = time.process_time() - raw_cpu_before
            bar.advance(task)
            piped = asyncio.run(_raw_pipeline(bootstrap, namespace, agents, config))
            bar.advance(task)
        finally:
            pool.stop()
            asyncio.run(drop_cluster_namespace(bootstrap, namespace))
            asyncio.run(drop_cluster_namespace(bootstrap, f"{namespace}raw"))
            shutil.rmtree(root, ignore_errors=True)
    seconds = ended - steady_start
    piped_rate = piped.events / piped.seconds
    faust_rate, raw_rate = steady / seconds, consumed / raw_seconds
    w = f"{workers}w"
    return {
        f"faust_{w}_events": steady,
        f"faust_{w}_seconds": seconds,
        f"faust_{w}_events_per_s": faust_rate,
        f"faust_{w}_startup_seconds": startup,
        f"faust_{w}_with_startup_events_per_s": consumed / (ended - started),
        f"faust_{w}_cpu_us_per_event": cpu / steady * 1e6,
        f"faust_{w}_changelog_messages_per_event": changes / steady,
        f"raw_{w}_events": consumed,
        f"raw_{w}_cpu_us_per_event": raw_cpu / consumed * 1e6,
        f"raw_{w}_events_per_s": raw_rate,
        f"raw_over_faust_{w}": raw_rate / faust_rate,
        f"faust_over_raw_{w}": faust_rate / raw_rate,
        f"raw_pipeline_{w}_events": piped.events,
        f"raw_pipeline_{w}_events_per_s": piped_rate,
        f"raw_pipeline_{w}_cpu_us_per_event": piped.cpu_seconds / piped.events * 1e6,
        f"faust_over_raw_pipeline_{w}": faust_rate / piped_rate,
    }


async def _latency(bootstrap: str, namespace: str, count: int, rate: float) -> list[float]:
    log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
    commands = order_records(count)
    due: dict[str, float] = {}
    received: dict[str, float] = {}
    name = kafka_topic(namespace, ORDERS_EVENTS)
    tps = [TopicPartition(name, p) for p in range(topic_partitions(ORDERS_EVENTS))]
    tail = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=5)
    await tail.start()
    tail.assign(tps)
    await tail.seek_to_end(*tps)

    async def read() -> None:
        while len(received) < count:
            batch = await tail.getmany(timeout_ms=100)
            now = time.perf_counter()
            for messages in batch.values():
                for msg in messages:
                    cause = dict(msg.headers).get("causation_id", b"").decode()
                    if cause in due and cause not in received:
                        received[cause] = now

    reader = asyncio.create_task(read())
    # One append at a time with every order due by then: a backlog rides in the next
    # append (one request per partition), as a gateway would batch; 1,000 concurrent
    # single-record appends queue behind each other in the producer instead.
    start = time.perf_counter() + 0.1
    sent = 0
    while sent < count:
        now = time.perf_counter()
        ready = min(count, int((now - start) * rate) + 1) if now >= start else 0
        if ready <= sent:
            await asyncio.sleep(start + sent / rate - now)
            continue
        batch = commands[sent:ready]
        for index, rec in enumerate(batch, start=sent):
            due[rec.event_id] = start + index / rate
        await log.append(batch)
        sent = ready
    await asyncio.wait_for(reader, 120)
    await tail.stop()
    await log.close()
    return sorted((received[e] - due[e]) * 1000 for e in due)


def latency(bootstrap: str, count: int, rate: float) -> dict[str, Any]:
    namespace = _namespace("lat")
    agents = [a for a in build_agents(Config()) if a.name in ("tickers", "oms")]
    root = Path(tempfile.mkdtemp(prefix="tapeline-bench-"))

    async def seed() -> None:
        log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
        try:
            await log.append([new_record(MD_TICKS, opening_quote())])
        finally:
            await log.close()

    asyncio.run(seed())
    pool = Workers(root, namespace, 1, agents="tickers,oms")
    try:
        asyncio.run(wait_caught_up(bootstrap, namespace, agents, 300, pool.check))
        millis = asyncio.run(_latency(bootstrap, namespace, count, rate))
    finally:
        pool.stop()
        asyncio.run(drop_cluster_namespace(bootstrap, namespace))
        shutil.rmtree(root, ignore_errors=True)

    def pct(q: float) -> float:
        return millis[min(len(millis) - 1, int(q * len(millis)))]

    return {"orders": count, "rate": rate, "accept_ms_p50": pct(0.5), "accept_ms_p99": pct(0.99),
            "accept_ms_max": millis[-1]}  # fmt: skip


def run(
    ticks: int = 20_000, orders: int = 500, latency_orders: int = 3000, rate: float = 1000.0,
    bootstrap: str = DEFAULT_BOOTSTRAP,
) -> dict[str, Any]:  # fmt: skip
    results: dict[str, Any] = {"ticks": ticks, "orders": orders}
    for workers in (1, 2):
        results.update(throughput(bootstrap, ticks, orders, workers))
    results.update(latency(bootstrap, latency_orders, rate))
    return results


if __name__ == "__main__":
    import json
    import os
    import sys

    small = "--small" in sys.argv
    where = os.environ.get("TAPELINE_KAFKA", DEFAULT_BOOTSTRAP)
    sizes = {"ticks": 5000, "orders": 200, "latency_orders": 1000} if small else {}
    print(json.dumps(run(bootstrap=where, **sizes), sort_keys=True))

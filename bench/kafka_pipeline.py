"""Cluster mode on the real broker: faust pipeline throughput and order -> accepted latency.

* throughput: a synthetic session (ticks + a seeded order flow) is appended to a fresh
  namespace, then 1 (and 2) faust workers with every agent run until they have committed
  everything; events/s counts every record the workers consumed (inputs and the outputs
  they fed back) over the time from spawning the workers to the last commit (so it
  includes faust's start and group join). Beside it: a raw aiokafka consumer reading the
  same records (no decode, no agents), and the ratio.
* latency: one worker running tickers + oms; submit orders are appended at ``rate``/s
  (each in its own append, on schedule); latency = when the ``order_accepted`` /
  ``order_rejected`` caused by it is read back - when the order was *due* (coordinated
  omission accounted for).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from agents.cli.kafka_cmds import Workers, _records, append_all
from agents.normalizer import Normalizer, synthetic_feed
from agents.orderflow.generator import OrderFlow
from agents.registry import Config, build_agents
from bench.oms import INSTRUMENT, T0, _orders
from schemas import Quote
from streams.faust_app import topic_partitions
from streams.faust_wire import kafka_topic
from streams.kafka_log import DEFAULT_BOOTSTRAP, KafkaLog
from streams.kafka_replay import consumed_topics, drop_cluster_namespace, wait_caught_up
from streams.records import new_record
from streams.topics import MD_TICKS, ORDERS_EVENTS


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


def throughput(bootstrap: str, ticks: int, orders: int, workers: int) -> dict[str, Any]:
    config = Config()
    agents = build_agents(config)
    namespace = _namespace(f"w{workers}")
    normalizer = Normalizer(config.registry)
    flow = OrderFlow(seed=7, orders=orders, ticks=ticks, accounts=["ACC-1", "ACC-2"],
                     registry=config.registry)  # fmt: skip
    records = list(_records(normalizer.feed_ticks(synthetic_feed(7, count=ticks)), flow))
    root = Path(tempfile.mkdtemp(prefix="tapeline-bench-"))

    async def append() -> None:
        log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
        try:
            await append_all(log, records)
        finally:
            await log.close()

    asyncio.run(append())
    pool = Workers(root, namespace, workers)
    try:
        started = time.perf_counter()
        asyncio.run(wait_caught_up(bootstrap, namespace, agents, 900, pool.check))
        seconds = time.perf_counter() - started
        consumed, raw_seconds = asyncio.run(
            _raw_read(bootstrap, namespace, consumed_topics(agents))
        )
    finally:
        pool.stop()
        asyncio.run(drop_cluster_namespace(bootstrap, namespace))
        shutil.rmtree(root, ignore_errors=True)
    return {
        f"faust_{workers}w_events": consumed,
        f"faust_{workers}w_seconds": seconds,
        f"faust_{workers}w_events_per_s": consumed / seconds,
        f"raw_{workers}w_events_per_s": consumed / raw_seconds,
        f"raw_over_faust_{workers}w": (consumed / raw_seconds) / (consumed / seconds),
    }


async def _latency(bootstrap: str, namespace: str, count: int, rate: float) -> list[float]:
    log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
    commands = _orders(count)
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
    sends: list[asyncio.Task[Any]] = []
    start = time.perf_counter() + 0.1
    for index, rec in enumerate(commands):
        when = start + index / rate
        pause = when - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        due[rec.event_id] = when
        sends.append(asyncio.create_task(log.append([rec])))
    await asyncio.gather(*sends)
    await asyncio.wait_for(reader, 120)
    await tail.stop()
    await log.close()
    return sorted((received[e] - due[e]) * 1000 for e in due)


def latency(bootstrap: str, count: int, rate: float) -> dict[str, Any]:
    namespace = _namespace("lat")
    agents = [a for a in build_agents(Config()) if a.name in ("tickers", "oms")]
    root = Path(tempfile.mkdtemp(prefix="tapeline-bench-"))
    quote = Quote(
        instrument=INSTRUMENT,  # type: ignore[arg-type]
        bid=Decimal("10000.00"),
        bid_size=Decimal(5),
        ask=Decimal("10000.50"),
        ask_size=Decimal(5),
        ts_event=T0,
        ts_recv=T0,
    )

    async def seed() -> None:
        log = KafkaLog(bootstrap, namespace=namespace, replication_factor=1)
        try:
            await log.append([new_record(MD_TICKS, quote)])
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

"""Cluster mode against the real broker: faust workers, Kafka replay, a killed worker.

Every test has its own namespace (topics and the workers' faust topics are deleted
afterwards) and waits only for its own data to be consumed, never for a guessed time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]

from agents.registry import Config, build_agents
from schemas.deadletter import DeadLetter
from streams.errors import LogError
from streams.faust_app import input_topics
from streams.faust_worker import ensure_topics
from streams.kafka_admin import KafkaAdmin
from streams.kafka_log import KafkaLog
from streams.kafka_replay import drop_cluster_namespace, live_tables, replay_kafka
from streams.records import NewRecord, new_record
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from streams.topics import DEADLETTER, EXEC_REPORTS, MD_TICKS
from tests.cluster.support import Cluster, binance_slice
from tests.factories import fill, quote
from tests.streams.kafka_support import new_namespace


def _fills() -> list[object]:
    fills = [
        fill(exec_id=f"X-{i}", account=f"ACC-{i % 3}", side="buy" if i % 4 else "sell",
             qty=str(1 + i % 5), price=str(9000 + (i * 37) % 200), fee="0.5")
        for i in range(300)
    ]  # fmt: skip
    return fills + fills[:25]  # repeated exec ids change nothing on either engine


def test_the_same_fills_hash_the_same_on_both_engines(kafka_bootstrap: str, tmp_path: Path) -> None:
    records = [new_record(EXEC_REPORTS, f) for f in _fills()]  # type: ignore[arg-type]
    agents = [a for a in build_agents(Config()) if a.name == "positions"]
    journal = SqliteJournal.in_dir(tmp_path)
    with journal.transaction():
        journal.append_in_transaction(records)
    embedded = replay(journal, agents).hashes()
    journal.close_now()

    async def on_kafka() -> dict[str, str]:
        log = KafkaLog(kafka_bootstrap, namespace=new_namespace(), replication_factor=1)
        try:
            await log.append(records)
            return (await replay_kafka(log, agents)).hashes()
        finally:
            await log.drop_namespace()
            await log.close()

    kafka = asyncio.run(on_kafka())
    assert embedded == kafka
    assert (
        embedded["positions"]
        != replay(SqliteJournal.in_dir(tmp_path / "empty"), agents).hashes()["positions"]
    )


def test_two_workers_on_binance_data_equal_a_kafka_replay(
    cluster: Cluster, market_data: Path
) -> None:
    records = binance_slice(market_data, ticks=2000, orders=100)
    cluster.start_workers(2)
    cluster.append(records)
    cluster.wait()
    live = cluster.live_hashes()
    result = cluster.replay()
    assert len(result.tables["positions"].states) > 0, "no fill reached positions"
    assert len(result.tables["orders"].states) > 0
    assert live == result.hashes()


def test_repeated_fills_fold_once_within_and_across_batches(cluster: Cluster) -> None:
    fills = [new_record(EXEC_REPORTS, f) for f in _fills()]  # type: ignore[arg-type]
    cluster.start_workers(1)
    cluster.append(fills)  # the repeats ride in the same appends: often the same batch
    cluster.wait()
    cluster.append(fills[:40])  # the same fills again, later: another batch, new offsets
    cluster.wait()
    live = cluster.live_hashes()
    result = cluster.replay()
    once = replay_of(fills[:300])
    assert result.hashes()["positions"] == once
    assert live["positions"] == once


def replay_of(records: list[NewRecord]) -> str:
    """The positions hash of ``records`` folded once each, on the embedded engine."""
    agents = [a for a in build_agents(Config()) if a.name == "positions"]
    with tempfile.TemporaryDirectory() as where:
        journal = SqliteJournal.in_dir(Path(where))
        with journal.transaction():
            journal.append_in_transaction(records)
        hashes = replay(journal, agents).hashes()
        journal.close_now()
    return hashes["positions"]


def test_a_worker_killed_mid_stream_loses_and_repeats_no_fill(
    cluster: Cluster, market_data: Path
) -> None:
    records = binance_slice(market_data, ticks=2000, orders=100)
    half = len(records) // 2
    workers = cluster.start_workers(2)
    cluster.append(records[:half])
    cluster.wait()
    cluster.append(records[half:])
    os.kill(workers.procs[0].pid, signal.SIGKILL)  # mid-stream: half the session is unread
    workers.procs[0].wait()
    cluster.wait()  # the survivor takes the partitions and recovers the tables
    live = cluster.live_hashes()
    result = cluster.replay()
    assert len(result.tables["positions"].states) > 0
    assert live == result.hashes()


def test_a_crashed_worker_is_restarted_by_its_supervisor_from_the_changelogs(
    cluster: Cluster, market_data: Path
) -> None:
    records = binance_slice(market_data, ticks=1000, orders=50)
    half = len(records) // 2
    workers = cluster.start_workers(1)  # alone: nobody else could take its partitions
    cluster.append(records[:half])
    cluster.wait()
    cluster.append(records[half:])
    supervisor = workers.procs[0]
    os.kill(_child_of(supervisor.pid), signal.SIGKILL)  # the faust process, mid-stream
    cluster.wait()  # raises if the supervisor gave up
    assert supervisor.poll() is None, "the supervisor is still running"
    assert "restarting" in workers.logs[0].read_text(errors="replace")
    result = cluster.replay()
    assert len(result.tables["positions"].states) > 0
    assert cluster.live_hashes() == result.hashes()


def _child_of(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, f"worker {pid} runs one faust process: {children}"
    return int(children[0])


def test_a_topic_with_the_wrong_partition_count_refuses_to_start(kafka_bootstrap: str) -> None:
    namespace = new_namespace()
    positions = [a for a in build_agents(Config()) if a.name == "positions"]

    async def attempt() -> str:
        admin = KafkaAdmin(kafka_bootstrap, client_id="test", request_timeout_ms=30_000,
                           retry_for=30.0)  # fmt: skip
        await admin.start()
        try:
            await admin.create_topic(f"{namespace}.{EXEC_REPORTS}", 3, 1, {})
            await admin.wait_for_topic(f"{namespace}.{EXEC_REPORTS}")
            with pytest.raises(LogError) as refused:
                await ensure_topics(kafka_bootstrap, namespace, positions)
            return str(refused.value)
        finally:
            await admin.close()
            await drop_cluster_namespace(kafka_bootstrap, namespace)

    message = asyncio.run(attempt())
    assert f"{namespace}.{EXEC_REPORTS}" in message
    assert "3 partitions" in message


def test_a_broker_that_is_down_is_named_at_once() -> None:
    positions = [a for a in build_agents(Config()) if a.name == "positions"]
    with pytest.raises(LogError, match=r"cannot reach Kafka at 127\.0\.0\.1:1\b"):
        asyncio.run(ensure_topics("127.0.0.1:1", new_namespace(), positions, connect_timeout=5))


def test_records_that_cannot_be_read_go_to_dead_letters_once_per_reading_agent(
    cluster: Cluster,
) -> None:
    agents = cluster.agents
    unreadable_quote = NewRecord(MD_TICKS, "BTCUSDT", "quote", 1, "bad-quote-1", 0,
                                 b'{"kind": "quote", "instrument": "BTCUSDT"}')  # fmt: skip
    good = [new_record(EXEC_REPORTS, fill(exec_id=f"DL-{i}", account="ACC-1")) for i in range(2)]
    cluster.start_workers(1)
    cluster.append([new_record(MD_TICKS, quote()), unreadable_quote, good[0]])
    asyncio.run(_send_without_envelope(cluster, EXEC_REPORTS, b"not a tapeline record"))
    cluster.append(good[1:])
    cluster.wait()
    letters = asyncio.run(_dead_letters(cluster))
    ticks_readers = {a.name for a in agents if MD_TICKS in input_topics(a) and "quote" in a.kinds}
    reports_readers = {a.name for a in agents if EXEC_REPORTS in input_topics(a)}
    assert sorted(letters) == sorted(
        [(name, MD_TICKS) for name in ticks_readers]
        + [(name, EXEC_REPORTS) for name in reports_readers]
    )
    positions = asyncio.run(live_tables(cluster.bootstrap, cluster.namespace, agents))["positions"]
    assert len(positions.states) == 1, "the good fills folded"
    replayed = cluster.replay()
    assert replayed.hashes() == cluster.live_hashes(), "the replay skips what the live side did"
    assert replayed.errors["positions"] == 1, "the message without an envelope is counted"


async def _send_without_envelope(cluster: Cluster, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(f"{cluster.namespace}.{topic}", value, key=b"x", partition=0)
    finally:
        await producer.stop()


async def _dead_letters(cluster: Cluster) -> list[tuple[str | None, str]]:
    log = KafkaLog(cluster.bootstrap, namespace=cluster.namespace)
    try:
        records = await log.read(DEADLETTER, 0, 0, 100)
    finally:
        await log.close()
    letters = [DeadLetter.model_validate_json(rec.payload) for rec in records]
    return [(letter.agent, letter.origin_topic) for letter in letters]

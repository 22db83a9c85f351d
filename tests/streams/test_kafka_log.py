"""The Kafka log passes the ``Log`` contract against the real broker, and refuses clearly.

Needs the broker of ``deploy/up kafka`` (``$TAPELINE_KAFKA``); without it these tests fail
with a message saying so.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from streams.errors import LogError
from streams.kafka_admin import KafkaAdmin
from streams.kafka_log import NO_SEQ, KafkaLog
from streams.topics import ACCOUNT_PARTITIONS, EXEC_REPORTS
from tests.streams import kafka_support
from tests.streams.kafka_support import LoopBoundLog, LoopThread, new_namespace
from tests.streams.log_contract import LogContract, fills, run

MakeLog = Callable[..., LoopBoundLog]

# The shared Kafka fixtures, bound here so that pytest finds them for this module.
kafka_loop = kafka_support.kafka_loop
kafka_bootstrap = kafka_support.kafka_bootstrap
kafka_logs = kafka_support.kafka_logs


class TestKafkaLog(LogContract):
    @pytest.fixture
    def log(self, kafka_logs: MakeLog) -> LoopBoundLog:
        return kafka_logs()


def test_records_carry_no_global_sequence_and_the_brokers_time(kafka_logs: MakeLog) -> None:
    log = kafka_logs()
    before = time.time_ns()
    positions = run(log.append(fills(5, accounts=1)))
    after = time.time_ns()
    assert {p.seq for p in positions} == {NO_SEQ}
    read = run(log.read(EXEC_REPORTS, positions[0].partition, 0, 10))
    assert {r.seq for r in read} == {NO_SEQ}
    # LogAppendTime, in ms: the broker stamped each record between the two clock reads.
    assert all(before // 1_000_000 * 1_000_000 <= r.ts_ingest <= after for r in read)


def test_big_append_spans_batches_and_reads_back_in_chunks(kafka_logs: MakeLog) -> None:
    log = kafka_logs()
    records = fills(4000, accounts=1)  # about 0.85 MB of payload: two producer batches
    positions = run(log.append(records))
    assert [p.offset for p in positions] == list(range(4000))
    partition = positions[0].partition
    seen: list[bytes] = []
    offset = 0
    while chunk := run(log.read(EXEC_REPORTS, partition, offset, 1500)):
        assert chunk[0].offset == offset
        seen.extend(r.payload for r in chunk)
        offset = chunk[-1].offset + 1
    assert seen == [r.payload for r in records]
    assert run(log.end_offsets(EXEC_REPORTS))[partition] == 4000


def test_topic_with_another_partition_count_is_refused(
    kafka_logs: MakeLog, kafka_loop: LoopThread, kafka_bootstrap: str
) -> None:
    namespace = new_namespace()
    log = kafka_logs(namespace)  # registered first, so its namespace is dropped afterwards

    async def make_wrong_topic() -> None:
        admin = KafkaAdmin(
            kafka_bootstrap, client_id="test", request_timeout_ms=10_000, retry_for=10
        )
        await admin.start()
        try:
            await admin.create_topic(f"{namespace}.{EXEC_REPORTS}", 3, 1, {})
        finally:
            await admin.close()

    kafka_loop.call(make_wrong_topic())
    with pytest.raises(LogError) as refused:
        run(log.partitions(EXEC_REPORTS))
    message = str(refused.value)
    assert f"{namespace}.{EXEC_REPORTS}" in message
    assert "has 3 partitions" in message
    assert f"expects {ACCOUNT_PARTITIONS}" in message
    with pytest.raises(LogError):
        run(log.append(fills(1)))


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_no_broker_listening_is_a_quick_clear_error(closed_port: int) -> None:
    address = f"127.0.0.1:{closed_port}"

    async def attempt() -> None:
        log = KafkaLog(address, namespace=new_namespace())
        try:
            await log.append(fills(1))
        finally:
            await log.close()

    started = time.monotonic()
    with pytest.raises(LogError, match=f"cannot reach Kafka at {address}"):
        asyncio.run(attempt())
    assert time.monotonic() - started < 10


def test_a_broker_that_never_answers_fails_within_the_connect_timeout(silent_port: int) -> None:
    address = f"127.0.0.1:{silent_port}"

    async def attempt() -> None:
        log = KafkaLog(address, namespace=new_namespace(), connect_timeout=1.5)
        try:
            await log.end_offsets(EXEC_REPORTS)
        finally:
            await log.close()

    started = time.monotonic()
    with pytest.raises(LogError, match=f"cannot reach Kafka at {address}: no answer within 1.5s"):
        asyncio.run(attempt())
    assert time.monotonic() - started < 5


def test_namespaces_isolate_topics_and_checkpoints(kafka_logs: MakeLog) -> None:
    first, second = kafka_logs(), kafka_logs()
    run(first.append(fills(7)))
    run(first.commit("positions", EXEC_REPORTS, 0, 5))
    assert sum(run(first.end_offsets(EXEC_REPORTS)).values()) == 7
    assert sum(run(second.end_offsets(EXEC_REPORTS)).values()) == 0
    assert run(second.committed("positions", EXEC_REPORTS, 0)) == 0
    assert run(first.committed("positions", EXEC_REPORTS, 0)) == 5
    assert first.kafka.kafka_name(EXEC_REPORTS) != second.kafka.kafka_name(EXEC_REPORTS)


def test_same_namespace_sees_the_same_log(kafka_logs: MakeLog) -> None:
    writer = kafka_logs()
    reader = kafka_logs(writer.kafka.namespace)
    (record,) = fills(1)
    (pos,) = run(writer.append([record]))
    run(writer.commit("pnl", EXEC_REPORTS, pos.partition, 1))
    (read,) = run(reader.read(EXEC_REPORTS, pos.partition, pos.offset, 5))
    assert read.event_id == record.event_id
    assert read.payload == record.payload
    assert run(reader.committed("pnl", EXEC_REPORTS, pos.partition)) == 1


def test_bad_partition_and_offset_are_refused(kafka_logs: MakeLog) -> None:
    log = kafka_logs()
    with pytest.raises(LogError, match=r"partitions 0\.\.7"):
        run(log.read(EXEC_REPORTS, ACCOUNT_PARTITIONS, 0, 1))
    with pytest.raises(LogError, match="offsets start at 0"):
        run(log.read(EXEC_REPORTS, 0, -1, 1))


def test_a_closed_log_or_another_event_loop_is_refused(kafka_logs: MakeLog) -> None:
    bound = kafka_logs()  # its KafkaLog lives on the fixtures' loop thread
    run(bound.append(fills(2)))
    with pytest.raises(LogError, match="bound to the event loop"):
        run(bound.kafka.end_offsets(EXEC_REPORTS))  # called straight from another loop

    async def close_then_use() -> None:
        log = KafkaLog(kafka_support.KAFKA, namespace=bound.kafka.namespace)
        assert sum((await log.end_offsets(EXEC_REPORTS)).values()) == 2
        await log.close()
        with pytest.raises(LogError, match="is closed"):
            await log.end_offsets(EXEC_REPORTS)

    run(close_then_use())

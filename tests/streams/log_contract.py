"""The ``Log`` contract: one suite every backend passes (SQLite now; Kafka, NATS next).

A backend's test module subclasses ``LogContract`` and provides a ``log`` fixture that
yields a fresh, empty log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from streams.log import Log
from streams.partitioning import partition_for
from streams.records import NewRecord, new_record
from streams.topics import EXEC_REPORTS, MD_TICKS
from tests import factories

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def fills(count: int, accounts: int = 3) -> list[NewRecord]:
    return [
        new_record(
            EXEC_REPORTS,
            factories.fill(exec_id=f"X-{i}", account=f"ACC-{i % accounts}", ts_event=1000 + i),
        )
        for i in range(count)
    ]


class LogContract:
    def test_append_returns_consecutive_offsets_per_partition(self, log: Log) -> None:
        positions = run(log.append(fills(30)))
        assert len(positions) == 30
        by_partition: dict[int, list[int]] = {}
        for pos in positions:
            assert pos.topic == EXEC_REPORTS
            by_partition.setdefault(pos.partition, []).append(pos.offset)
        for offsets in by_partition.values():
            assert offsets == list(range(len(offsets)))

    def test_key_decides_partition_like_kafka(self, log: Log) -> None:
        records = fills(12, accounts=4)
        positions = run(log.append(records))
        count = run(log.partitions(EXEC_REPORTS))
        for rec, pos in zip(records, positions, strict=True):
            assert pos.partition == partition_for(rec.key, count)

    def test_read_returns_records_in_order_with_payload_intact(self, log: Log) -> None:
        records = fills(20, accounts=1)
        positions = run(log.append(records))
        partition = positions[0].partition
        read = run(log.read(EXEC_REPORTS, partition, 0, 100))
        assert [r.offset for r in read] == list(range(20))
        assert [r.payload for r in read] == [r.payload for r in records]
        assert [r.event_id for r in read] == [r.event_id for r in records]
        assert all(r.key == "ACC-0" and r.kind == "fill" for r in read)

    def test_read_from_offset_and_limit(self, log: Log) -> None:
        positions = run(log.append(fills(20, accounts=1)))
        partition = positions[0].partition
        read = run(log.read(EXEC_REPORTS, partition, 5, 4))
        assert [r.offset for r in read] == [5, 6, 7, 8]
        assert run(log.read(EXEC_REPORTS, partition, 20, 10)) == []

    def test_end_offsets_count_every_partition(self, log: Log) -> None:
        ends = run(log.end_offsets(EXEC_REPORTS))
        assert set(ends) == set(range(run(log.partitions(EXEC_REPORTS))))
        assert sum(ends.values()) == 0
        run(log.append(fills(25, accounts=5)))
        assert sum(run(log.end_offsets(EXEC_REPORTS)).values()) == 25

    def test_topics_are_independent(self, log: Log) -> None:
        run(log.append(fills(3)))
        run(log.append([new_record(MD_TICKS, factories.quote())]))
        assert sum(run(log.end_offsets(MD_TICKS)).values()) == 1
        assert sum(run(log.end_offsets(EXEC_REPORTS)).values()) == 3

    def test_consumer_checkpoints(self, log: Log) -> None:
        assert run(log.committed("positions", EXEC_REPORTS, 0)) == 0
        run(log.commit("positions", EXEC_REPORTS, 0, 17))
        run(log.commit("pnl", EXEC_REPORTS, 0, 3))
        assert run(log.committed("positions", EXEC_REPORTS, 0)) == 17
        run(log.commit("positions", EXEC_REPORTS, 0, 18))
        assert run(log.committed("positions", EXEC_REPORTS, 0)) == 18
        assert run(log.committed("pnl", EXEC_REPORTS, 0)) == 3
        assert run(log.committed("positions", EXEC_REPORTS, 1)) == 0

    def test_envelope_fields_survive(self, log: Log) -> None:
        record = new_record(
            EXEC_REPORTS, factories.fill(), causation_id="cmd-1", correlation_id="session-9"
        )
        (pos,) = run(log.append([record]))
        (read,) = run(log.read(EXEC_REPORTS, pos.partition, pos.offset, 1))
        assert read.causation_id == "cmd-1"
        assert read.correlation_id == "session-9"
        assert read.ts_event == record.ts_event
        assert read.schema_version == record.schema_version
        assert read.ts_ingest > 0

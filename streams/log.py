"""The ``Log`` protocol every backend implements (SQLite journal, Kafka, NATS).

``tests/streams/log_contract.py`` is the suite each backend must pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streams.records import LogRecord, NewRecord, RecordPosition


class Log(Protocol):
    async def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has (created with its spec'd count on first use)."""
        ...

    async def append(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        """Append a batch atomically where the backend can; returns each record's place.

        Records go to partition ``partition_for(key, partitions)``; per partition their
        offsets are consecutive and in batch order.
        """
        ...

    async def read(
        self, topic: str, partition: int, from_offset: int, limit: int
    ) -> list[LogRecord]:
        """Up to ``limit`` records of one partition, from ``from_offset`` on, in order."""
        ...

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """Per partition, the offset the next record will get."""
        ...

    async def commit(self, consumer: str, topic: str, partition: int, next_offset: int) -> None:
        """Save a consumer's position: the next offset it will read."""
        ...

    async def committed(self, consumer: str, topic: str, partition: int) -> int:
        """The saved position, or 0 for a consumer that never committed."""
        ...

    async def close(self) -> None: ...

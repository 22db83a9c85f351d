"""The embedded log: one SQLite file in WAL mode under the data dir.

Durability modes (``synchronous``):

* ``normal`` (default): a commit is written to the WAL but fsync'd only at checkpoints.
  Survives any crash of the process (kill -9, OOM, exceptions): committed transactions
  are in the OS page cache and SQLite recovers them. A power loss or kernel crash may
  lose the last transactions before the fsync, never corrupts the file, and never
  splits a transaction (outputs, state and checkpoint go together or not at all).
* ``full``: every commit fsyncs the WAL before returning. Survives power loss too, at
  the cost of one fsync per committed batch.

Every record is hashed and chained to the previous record of its partition; the
``heads`` table holds each partition's next offset and last hash, so truncating the
tail is found as surely as an edit in the middle.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from streams.chain import GENESIS, record_hash
from streams.checkpointer import Checkpointer
from streams.errors import LogError
from streams.partitioning import partition_for
from streams.records import LogRecord, NewRecord, RecordPosition
from streams.topics import topic_spec

Durability = Literal["normal", "full"]
JOURNAL_FILE = "journal.sqlite"
SINK_PARTITION = -1
"""The ``consumer_offsets`` partition of a sink's global-seq position."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    ts_event INTEGER NOT NULL,
    ts_ingest INTEGER NOT NULL,
    causation_id TEXT,
    correlation_id TEXT,
    payload TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_position ON journal (topic, partition, offset);
CREATE TABLE IF NOT EXISTS topics (topic TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS heads (
    topic TEXT NOT NULL, partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL, last_hash BLOB NOT NULL,
    PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
) WITHOUT ROWID;
"""

_COLUMNS = (
    "seq, topic, partition, offset, key, kind, schema_version, event_id, ts_event, "
    "ts_ingest, causation_id, correlation_id, payload"
)

_INSERT = "INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


def _to_record(row: tuple[Any, ...]) -> LogRecord:
    # Columns come back typed by the schema (INTEGER, TEXT), so no conversions here:
    # this runs once per record read.
    seq, topic, part, off, key, kind, version, event_id, ts_event, ts_ingest, cause, corr, body = (
        row
    )
    return LogRecord(
        seq, topic, part, off, key, kind, version, event_id, ts_event, ts_ingest, cause, corr,
        body.encode(),
    )  # fmt: skip


@dataclass(slots=True)
class _Head:
    next_offset: int
    last_hash: bytes


class SqliteJournal:
    """The embedded ``Log``. One writer at a time (SQLite's own lock); many readers."""

    def __init__(
        self,
        path: Path,
        durability: Durability = "normal",
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run on their own thread (see checkpointer.py), not inside a COMMIT.
        self.db.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = Checkpointer(path)
        self.db.executescript(_SCHEMA)
        self._in_transaction = False
        self._heads: dict[tuple[str, int], _Head] = {}
        self._next_seq: int | None = None
        self._data_version: int | None = None
        """What ``PRAGMA data_version`` said when the two caches above were last right."""
        self.changed_elsewhere = True
        """Whether another connection committed since this one's last transaction
        (valid inside a transaction): the runtime re-reads its positions only then."""
        self._partitions: dict[str, int] = {}

    @classmethod
    def in_dir(cls, data_dir: Path, durability: Durability = "normal") -> SqliteJournal:
        return cls(data_dir / JOURNAL_FILE, durability)

    # -- transactions -------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: appends and whatever else runs on ``self.db`` inside it.

        The partition heads and the next seq are cached between transactions (reading
        them back cost a query per partition per commit); ``PRAGMA data_version`` moves
        only when another connection commits, and then the caches are dropped.
        """
        if self._in_transaction:
            raise LogError("transactions do not nest")
        self.db.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            self.changed_elsewhere = version != self._data_version
            if self.changed_elsewhere:
                self._forget()
                self._data_version = version
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self._forget()
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    def _forget(self) -> None:
        self._heads = {}
        self._next_seq = None
        self._data_version = None

    # -- the Log protocol -----------------------------------------------------------

    async def partitions(self, topic: str) -> int:
        return self.partition_count(topic)

    async def append(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        with self.transaction():
            return self.append_in_transaction(records)

    async def read(
        self, topic: str, partition: int, from_offset: int, limit: int
    ) -> list[LogRecord]:
        return self.read_partition(topic, partition, from_offset, limit)

    def read_partition(
        self, topic: str, partition: int, from_offset: int, limit: int
    ) -> list[LogRecord]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM journal WHERE topic = ? AND partition = ? "  # noqa: S608
            "AND offset >= ? ORDER BY offset LIMIT ?",
            (topic, partition, from_offset, limit),
        ).fetchall()
        return [_to_record(row) for row in rows]

    async def end_offsets(self, topic: str) -> dict[int, int]:
        ends = dict.fromkeys(range(self.partition_count(topic)), 0)
        for part, next_offset in self.db.execute(
            "SELECT partition, next_offset FROM heads WHERE topic = ?", (topic,)
        ):
            ends[int(part)] = int(next_offset)
        return ends

    async def commit(self, consumer: str, topic: str, partition: int, next_offset: int) -> None:
        self.db.execute(
            "INSERT INTO consumer_offsets VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE "
            "SET next_offset = excluded.next_offset",
            (consumer, topic, partition, next_offset),
        )

    async def committed(self, consumer: str, topic: str, partition: int) -> int:
        row = self.db.execute(
            "SELECT next_offset FROM consumer_offsets WHERE consumer = ? AND topic = ? "
            "AND partition = ?",
            (consumer, topic, partition),
        ).fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        self._checkpointer.stop()
        self.db.close()

    # -- embedded-only ------------------------------------------------------------------

    def partition_count(self, topic: str) -> int:
        count = self._partitions.get(topic)
        if count is not None:
            return count
        wanted = topic_spec(topic).partitions
        row = self.db.execute("SELECT partitions FROM topics WHERE topic = ?", (topic,)).fetchone()
        if row is None:
            self.db.execute("INSERT OR IGNORE INTO topics VALUES (?, ?)", (topic, wanted))
            count = wanted
        else:
            count = int(row[0])
            if count != wanted:
                raise LogError(
                    f"topic {topic} has {count} partitions in {self.path}, this build "
                    f"expects {wanted}; use a data dir made by the same version"
                )
        self._partitions[topic] = count
        return count

    def _head(self, topic: str, partition: int) -> _Head:
        """The partition's head as committed (a fresh copy for the append to move)."""
        head = self._heads.get((topic, partition))
        if head is not None:
            return _Head(head.next_offset, head.last_hash)
        row = self.db.execute(
            "SELECT next_offset, last_hash FROM heads WHERE topic = ? AND partition = ?",
            (topic, partition),
        ).fetchone()
        return _Head(int(row[0]), bytes(row[1])) if row else _Head(0, GENESIS)

    def append_in_transaction(self, records: Iterable[NewRecord]) -> list[RecordPosition]:
        """Append inside an open ``transaction()``; positions are final once it commits."""
        return self._append(records, positions_only=True)

    def append_logged(self, records: Iterable[NewRecord]) -> list[LogRecord]:
        """``append_in_transaction``, returning the records as a read would give them back
        (the runtime's group commit processes what it appended without reading it)."""
        return self._append(records, positions_only=False)

    def _append(self, records: Iterable[NewRecord], *, positions_only: bool) -> list[Any]:
        """Hash, number and insert ``records``; returns a ``RecordPosition`` per record
        (``positions_only``) or a ``LogRecord``: only what the caller uses is built.

        The cached heads move only after the rows are in: an append that fails leaves
        them as they were.
        """
        if not self._in_transaction:
            raise LogError("append_in_transaction needs an open transaction")
        ts_ingest = self._clock()
        next_seq = self._next_seq
        if next_seq is None:
            row = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM journal").fetchone()
            next_seq = int(row[0])
        rows = []
        out: list[Any] = []
        moved: dict[tuple[str, int], _Head] = {}
        counts: dict[str, int] = {}
        for rec in records:
            topic, key, payload = rec.topic, rec.key, rec.payload
            count = counts.get(topic)
            if count is None:
                count = counts[topic] = self.partition_count(topic)
            part = partition_for(key, count)
            head = moved.get((topic, part))
            if head is None:
                head = moved[(topic, part)] = self._head(topic, part)
            offset = head.next_offset
            kind, version, event_id = rec.kind, rec.schema_version, rec.event_id
            ts_event, cause, corr = rec.ts_event, rec.causation_id, rec.correlation_id
            digest = record_hash(
                head.last_hash, topic, part, offset, key, kind, version, event_id, ts_event,
                ts_ingest, cause, corr, payload,
            )  # fmt: skip
            # The hash goes in as a bytearray: the sqlite3 module binds one as a BLOB
            # directly, but looks for an adapter for every ``bytes`` (about 0.4 us each).
            rows.append(
                (
                    next_seq, topic, part, offset, key, kind, version, event_id, ts_event,
                    ts_ingest, cause, corr, payload.decode(), bytearray(digest),
                )
            )  # fmt: skip
            if positions_only:
                out.append(RecordPosition(topic, part, offset, next_seq))
            else:
                out.append(
                    LogRecord(
                        next_seq, topic, part, offset, key, kind, version, event_id, ts_event,
                        ts_ingest, cause, corr, payload,
                    )
                )  # fmt: skip
            head.next_offset = offset + 1
            head.last_hash = digest
            next_seq += 1
        self.db.executemany(_INSERT, rows)
        self.db.executemany(
            "INSERT INTO heads VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "next_offset = excluded.next_offset, last_hash = excluded.last_hash",
            [(t, p, head.next_offset, head.last_hash) for (t, p), head in moved.items()],
        )
        self._heads.update(moved)
        self._next_seq = next_seq
        return out

    def read_since(self, after_seq: int, topics: Sequence[str], limit: int) -> list[LogRecord]:
        """Records of ``topics`` after global sequence ``after_seq``, in log order."""
        marks = ",".join("?" * len(topics))
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM journal WHERE seq > ? AND +topic IN ({marks}) "  # noqa: S608
            "ORDER BY seq LIMIT ?",
            (after_seq, *topics, limit),
        ).fetchall()
        return [_to_record(row) for row in rows]

    def scan(
        self, after_seq: int, topics: Sequence[str], limit: int
    ) -> list[tuple[int, str, str, str, int, str]]:
        """The lean read for replay: (seq, topic, kind, event_id, ts_event, payload)."""
        marks = ",".join("?" * len(topics))
        return self.db.execute(
            "SELECT seq, topic, kind, event_id, ts_event, payload FROM journal "  # noqa: S608
            f"WHERE seq > ? AND +topic IN ({marks}) ORDER BY seq LIMIT ?",
            (after_seq, *topics, limit),
        ).fetchall()

    def end_seq(self) -> int:
        """The global sequence of the last record (0 for an empty journal)."""
        if self._in_transaction and self._next_seq is not None:
            return self._next_seq - 1  # checked at BEGIN, and the write lock is ours
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])

    def sink_position(self, consumer: str, topic: str) -> int:
        """The last global seq a sink has written out (0: none yet).

        Sinks read the journal in global order, so their position is a seq, kept in
        ``consumer_offsets`` under partition -1 (no real partition has that number).
        """
        row = self.db.execute(
            "SELECT next_offset FROM consumer_offsets WHERE consumer = ? AND topic = ? "
            "AND partition = ?",
            (consumer, topic, SINK_PARTITION),
        ).fetchone()
        return int(row[0]) - 1 if row else 0

    def save_sink_position(self, consumer: str, topic: str, last_seq: int) -> None:
        """Record that the sink has written everything up to ``last_seq``."""
        self.db.execute(
            "INSERT INTO consumer_offsets VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE "
            "SET next_offset = excluded.next_offset",
            (consumer, topic, SINK_PARTITION, last_seq + 1),
        )

    def checkpoint_wal(self) -> None:
        """Move the WAL into the main file, so readers of the file alone (chDB) see it all."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

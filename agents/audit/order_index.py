"""Which journal records name an order id: a derived index in the journal's own file.

``audit order`` must not scan every payload of a big log for one ClOrdID. This module
keeps a side table in the journal's SQLite file, ``audit_order_refs``: one row
``(ref, account, seq)`` for every non-empty string that a record of the order topics
carries at the top level of its payload as ``cl_ord_id``, ``orig_cl_ord_id``,
``cancel_cl_ord_id`` or ``order_id`` (``account`` is the record's key). Its primary key
starts with ``ref``, so both "these ids in this account" and "which accounts use this
id" are index range lookups.

It is derived data, never a second source of truth:

* The journal's rows are only read; the index lives in its own tables
  (``audit_order_refs``, ``audit_index_state``) and can be dropped at any time
  (``drop``, ``tapeline audit reindex``, or ``DROP TABLE`` by hand); the next audit
  rebuilds it. ``log verify`` reads only the journal.
* It is extended incrementally: ``audit_index_state`` holds the last indexed seq and
  that record's hash. Seqs are assigned in commit order, so everything up to it is
  indexed and only the tail above it is read. A journal whose record at that seq is
  gone or has another hash (a new log in the same file) is re-indexed from scratch.
* The index only narrows which records to read: the audit re-reads each candidate's
  payload from the journal and applies its rules to it, so an index that lists too
  much costs time, never correctness.
* Each chunk of ``CHUNK`` seqs (fewer if asked: the gateway does, beside its engine)
  is its own short write transaction, so a first build on a big log never holds
  SQLite's write lock long enough to stall a running session, and an interrupted build
  keeps what it did.
* A journal this process may not write is refused with the reason (as the chDB audits
  do: they checkpoint its WAL first).

Ids are extracted by SQLite's own JSON functions (``json_each``; string values only,
as ClickHouse's ``JSONExtractString`` reads them; an unparsable payload names nothing),
so building runs in C, not a Python loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from agents.audit.db import ORDER_TOPICS, AuditError

REFS_TABLE = "audit_order_refs"
STATE_TABLE = "audit_index_state"
INDEX_NAME = "order_refs"
ID_FIELDS = ("cl_ord_id", "orig_cl_ord_id", "cancel_cl_ord_id", "order_id")
CHUNK = 50_000
"""Seqs indexed per write transaction."""

Progress = Callable[[int, int], None]
"""Called with (seqs indexed so far, seqs to index) while the index catches up."""

_TOPICS = "(" + ", ".join(f"'{topic}'" for topic in ORDER_TOPICS) + ")"
_FIELDS = "(" + ", ".join(f"'{field}'" for field in ID_FIELDS) + ")"


_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {REFS_TABLE} (ref TEXT NOT NULL, account TEXT NOT NULL, "
    "seq INTEGER NOT NULL, PRIMARY KEY (ref, account, seq)) WITHOUT ROWID; "
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
    "(name TEXT PRIMARY KEY, indexed_seq INTEGER NOT NULL, indexed_hash BLOB);"
)
# ``+r.topic`` keeps SQLite on the seq range (the primary key) rather than the
# (topic, partition, offset) index, which would walk a topic's whole history.
_INDEX_CHUNK = (
    f"INSERT OR IGNORE INTO {REFS_TABLE} (ref, account, seq) "  # noqa: S608
    "SELECT DISTINCT f.value, r.key, r.seq FROM journal AS r, "
    "json_each(CASE WHEN json_valid(r.payload) THEN r.payload ELSE '{}' END) AS f "
    f"WHERE r.seq > ? AND r.seq <= ? AND +r.topic IN {_TOPICS} "
    f"AND f.key IN {_FIELDS} AND f.type = 'text' AND f.value != ''"
)


class OrderIndex:
    """One ``sqlite3`` connection to the journal, with the order-id index caught up.

    Never keep one open while chDB reads the same file in this process (see
    ``agents.audit.db``): open, answer, close.
    """

    def __init__(self, path: Path, *, chunk: int = CHUNK) -> None:
        if not path.exists():
            raise AuditError(f"no journal at {path}; run `tapeline run` first (or pass --data-dir)")
        self.path = path
        self.chunk = chunk  # seqs per write transaction: fewer beside a live writer
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self.db.execute("PRAGMA busy_timeout=30000")
            if not self._has_table("journal"):
                raise AuditError(f"{path} is not a Tapeline journal (no journal table)")
            had_refs = self._has_table(REFS_TABLE)
            self.db.executescript(_SCHEMA)
            if not had_refs:  # dropped by hand: whatever the state says went with it
                self.db.execute(f"DELETE FROM {STATE_TABLE}")  # noqa: S608
        except (sqlite3.Error, AuditError) as error:
            self.db.close()
            if isinstance(error, AuditError):
                raise
            raise AuditError(f"cannot keep the audit index in {path}: {error}") from None

    def _has_table(self, name: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> OrderIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def indexed_seq(self) -> int:
        """The last seq the index covers (0: nothing yet)."""
        row = self.db.execute(
            f"SELECT indexed_seq FROM {STATE_TABLE} WHERE name = ?",  # noqa: S608
            (INDEX_NAME,),
        ).fetchone()
        return int(row[0]) if row else 0

    def end_seq(self) -> int:
        try:
            row = self.db.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()
        except sqlite3.Error as error:
            raise AuditError(f"cannot read the journal {self.path}: {error}") from None
        return int(row[0])

    def pending(self) -> int:
        """Seqs the next ``catch_up`` will read (all of them if the index is stale)."""
        end = self.end_seq()
        return end if not self._still_valid() else max(0, end - self.indexed_seq())

    def _still_valid(self) -> bool:
        """The index describes this log: its last indexed record is still there, unchanged."""
        row = self.db.execute(
            f"SELECT indexed_seq, indexed_hash FROM {STATE_TABLE} "  # noqa: S608
            "WHERE name = ?",
            (INDEX_NAME,),
        ).fetchone()
        if row is None or int(row[0]) == 0:
            return True
        return self._hash_at(int(row[0])) == (bytes(row[1]) if row[1] is not None else None)

    def _hash_at(self, seq: int) -> bytes | None:
        """The hash of the last record at or below ``seq`` (seqs may have gaps)."""
        row = self.db.execute(
            "SELECT hash FROM journal WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (seq,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def drop(self) -> None:
        """Forget the index (derived data); the next ``catch_up`` rebuilds it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(f"DELETE FROM {REFS_TABLE}")  # noqa: S608
            self.db.execute(f"DELETE FROM {STATE_TABLE}")  # noqa: S608
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def catch_up(self, on_progress: Progress | None = None) -> int:
        """Index every record up to the journal's current end; the seq now covered."""
        try:
            return self._catch_up(on_progress)
        except sqlite3.Error as error:  # read-only file, or a writer holding the lock
            raise AuditError(f"cannot extend the audit index in {self.path}: {error}") from None

    def _catch_up(self, on_progress: Progress | None) -> int:
        if not self._still_valid():
            self.drop()
        end = self.end_seq()
        start = done = self.indexed_seq()
        while done < end:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                done = self.indexed_seq()  # another audit may have indexed meanwhile
                upper = min(done + self.chunk, end)
                if upper > done:
                    self.db.execute(_INDEX_CHUNK, (done, upper))
                    self._record_progress(upper)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            done = max(done, upper)
            if on_progress is not None:
                on_progress(done - start, end - start)
        return max(done, self.indexed_seq())

    def _record_progress(self, seq: int) -> None:
        self.db.execute(
            f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?) "  # noqa: S608
            "ON CONFLICT (name) DO UPDATE SET indexed_seq = excluded.indexed_seq, "
            "indexed_hash = excluded.indexed_hash",
            (INDEX_NAME, seq, self._hash_at(seq)),
        )

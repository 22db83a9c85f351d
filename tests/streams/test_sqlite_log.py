"""The SQLite journal passes the ``Log`` contract, and keeps its promises across reopen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS
from streams.verify import verify_chain
from tests import factories
from tests.streams.log_contract import LogContract, fills, run


class TestSqliteLog(LogContract):
    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[SqliteJournal]:
        journal = SqliteJournal.in_dir(tmp_path)
        yield journal
        journal.close_now()


def test_records_and_offsets_survive_reopen(tmp_path: Path) -> None:
    first = SqliteJournal.in_dir(tmp_path)
    run(first.append(fills(10, accounts=1)))
    first.close_now()
    second = SqliteJournal.in_dir(tmp_path)
    positions = run(second.append(fills(5, accounts=1)))
    assert [p.offset for p in positions] == [10, 11, 12, 13, 14]
    assert second.end_seq() == 15
    second.close_now()


def test_global_sequence_orders_across_topics(journal: SqliteJournal) -> None:
    positions = run(journal.append(fills(10)))
    assert [p.seq for p in positions] == list(range(1, 11))
    read = journal.read_since(4, [EXEC_REPORTS], 100)
    assert [r.seq for r in read] == list(range(5, 11))


def test_failed_transaction_leaves_no_trace(journal: SqliteJournal) -> None:
    def crash_before_commit() -> None:
        with journal.transaction():
            journal.append_in_transaction(fills(5))
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    assert journal.end_seq() == 0
    positions = run(journal.append(fills(1, accounts=1)))
    assert positions[0].offset == 0


def test_durability_modes_are_applied(tmp_path: Path) -> None:
    full = SqliteJournal(tmp_path / "full.sqlite", durability="full")
    normal = SqliteJournal(tmp_path / "normal.sqlite", durability="normal")
    assert full.db.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert normal.db.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert full.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    full.close_now()
    normal.close_now()


def test_two_writers_interleaved_keep_one_unbroken_chain(tmp_path: Path) -> None:
    """Each journal caches its partitions' heads between transactions; a commit by the
    other connection must drop that cache, or the next append would reuse an offset or
    chain to a stale hash."""
    first = SqliteJournal.in_dir(tmp_path)
    second = SqliteJournal.in_dir(tmp_path)
    seen: list[tuple[str, int, int]] = []
    for round_ in range(4):
        for writer in (first, second, first):
            batch = [
                new_record(
                    EXEC_REPORTS,
                    factories.fill(
                        exec_id=f"X-{round_}-{len(seen)}-{i}", account="ACC-1", ts_event=1000 + i
                    ),
                )
                for i in range(3)
            ]
            seen += [(p.topic, p.partition, p.offset) for p in run(writer.append(batch))]
    assert len(set(seen)) == len(seen) == 36
    assert sorted(offset for _t, _p, offset in seen) == list(range(36))
    assert first.end_seq() == second.end_seq() == 36
    report = verify_chain(first)
    assert report.ok, report.problems
    first.close_now()
    second.close_now()


def test_an_append_that_fails_leaves_the_cached_head_as_committed(journal: SqliteJournal) -> None:
    run(journal.append(fills(2, accounts=1)))
    duplicate = fills(1, accounts=1)
    with journal.transaction():
        journal.db.execute(  # occupy the seq the next append will take: its insert fails
            "INSERT INTO journal SELECT seq + 1, topic, partition, offset + 100, key, kind, "
            "schema_version, event_id, ts_event, ts_ingest, causation_id, correlation_id, "
            "payload, hash FROM journal WHERE seq = 2"
        )
        with pytest.raises(sqlite3.IntegrityError):
            journal.append_in_transaction(duplicate)
        journal.db.execute("DELETE FROM journal WHERE seq = 3")
        positions = journal.append_in_transaction(duplicate)
    assert [(p.offset, p.seq) for p in positions] == [(2, 3)]
    assert verify_chain(journal).ok

"""The SQLite journal passes the ``Log`` contract, and keeps its promises across reopen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS
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

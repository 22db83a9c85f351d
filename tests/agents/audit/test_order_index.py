"""The order-id index beside the journal: incremental, derived, never touching the log."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agents.audit.db import AuditError
from agents.audit.order import UnknownOrderError, order_trail
from agents.audit.order_index import REFS_TABLE, OrderIndex
from streams.records import NewRecord, new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS, MD_TICKS, ORDERS_COMMANDS
from streams.verify import verify_chain
from tests import factories


def _append(path: Path, records: list[NewRecord]) -> None:
    journal = SqliteJournal(path)
    with journal.transaction():
        journal.append_in_transaction(records)
    journal.close_now()


def _ticks(first: int, count: int) -> list[NewRecord]:
    return [
        new_record(MD_TICKS, factories.trade(trade_id=f"T-{n}"))
        for n in range(first, first + count)
    ]


def _journal_rows(path: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT * FROM journal ORDER BY seq").fetchall()
    finally:
        db.close()


def _trail(path: Path, cl_ord_id: str, account: str | None = None) -> list[tuple[int, str]]:
    with OrderIndex(path) as index:
        return [(e["seq"], e["kind"]) for e in order_trail(index, cl_ord_id, account).entries]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    journal_file = tmp_path / "journal.sqlite"
    _append(
        journal_file,
        [
            new_record(ORDERS_COMMANDS, factories.submit(cl_ord_id="C-1")),
            *_ticks(0, 5),
            new_record(EXEC_REPORTS, factories.fill(exec_id="X-1", cl_ord_id="C-1")),
        ],
    )
    return journal_file


def test_the_index_follows_the_journal_and_never_touches_it(path: Path) -> None:
    with OrderIndex(path) as index:
        assert index.pending() == 7
        assert [(e["seq"], e["kind"]) for e in order_trail(index, "C-1").entries] == [
            (1, "submit_order"),
            (7, "fill"),
        ]
        assert index.indexed_seq() == 7
        indexed = {seq for (seq,) in index.db.execute(f"SELECT seq FROM {REFS_TABLE}")}
        assert indexed == {1, 7}  # the ticks name no order
    before = _journal_rows(path)
    _append(
        path,
        [
            *_ticks(5, 3),
            new_record(ORDERS_COMMANDS, factories.cancel(cl_ord_id="C-2", orig_cl_ord_id="C-1")),
        ],
    )
    calls: list[tuple[int, int]] = []
    with OrderIndex(path) as index:
        assert index.pending() == 4  # only the new tail is read
        assert index.catch_up(lambda done, total: calls.append((done, total))) == 11
    assert calls == [(4, 4)]
    assert _trail(path, "C-2", "ACC-1") == [(1, "submit_order"), (7, "fill"), (11, "cancel_order")]
    after = _journal_rows(path)
    assert after[: len(before)] == before
    journal = SqliteJournal(path)
    try:
        report = verify_chain(journal)
    finally:
        journal.close_now()
    assert report.ok, report.problems
    assert report.records == 11


def test_a_dropped_index_is_rebuilt_to_the_same_answer(path: Path) -> None:
    first = _trail(path, "C-1")
    with OrderIndex(path) as index:
        index.drop()
        assert index.indexed_seq() == 0
        assert index.db.execute(f"SELECT count(*) FROM {REFS_TABLE}").fetchone() == (0,)
    assert _trail(path, "C-1") == first
    db = sqlite3.connect(path)
    db.execute(f"DROP TABLE {REFS_TABLE}")  # by hand, leaving the index's state behind
    db.close()
    assert _trail(path, "C-1") == first


def test_small_chunks_index_the_same_refs_in_more_transactions(path: Path) -> None:
    with OrderIndex(path) as index:
        index.catch_up()
        whole = set(index.db.execute(f"SELECT * FROM {REFS_TABLE}"))
        index.drop()
    calls: list[tuple[int, int]] = []
    with OrderIndex(path, chunk=2) as index:
        assert index.catch_up(lambda done, total: calls.append((done, total))) == 7
        assert set(index.db.execute(f"SELECT * FROM {REFS_TABLE}")) == whole
    assert calls == [(2, 7), (4, 7), (6, 7), (7, 7)]


def test_a_different_log_in_the_same_file_is_reindexed(path: Path) -> None:
    assert _trail(path, "C-1") == [(1, "submit_order"), (7, "fill")]
    db = sqlite3.connect(path)
    payload = db.execute("SELECT payload FROM journal WHERE seq = 7").fetchone()[0]
    db.execute(
        "UPDATE journal SET payload = ?, hash = ? WHERE seq = 7",
        (payload.replace('"C-1"', '"C-9"'), b"another log"),
    )
    db.commit()
    db.close()
    assert _trail(path, "C-1") == [(1, "submit_order")]
    assert _trail(path, "C-9", "ACC-1") == [(7, "fill")]


def test_an_unparsable_payload_names_nothing(path: Path) -> None:
    _append(
        path,
        [NewRecord(ORDERS_COMMANDS, "ACC-1", "submit_order", 1, "bad", factories.T0, b"{not json")],
    )
    assert _trail(path, "C-1", "ACC-1") == [(1, "submit_order"), (7, "fill")]
    with pytest.raises(UnknownOrderError, match="'not'"):
        _trail(path, "not")


def test_one_clordid_in_two_accounts_needs_the_account(path: Path) -> None:
    _append(path, [new_record(ORDERS_COMMANDS, factories.submit(account="ACC-2", cl_ord_id="C-1"))])
    with pytest.raises(AuditError, match="used by accounts ACC-1, ACC-2"):
        _trail(path, "C-1")
    assert _trail(path, "C-1", "ACC-2") == [(8, "submit_order")]
    assert _trail(path, "C-1", "ACC-1") == [(1, "submit_order"), (7, "fill")]


def test_a_missing_journal_is_refused_and_not_created(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no journal at"):
        OrderIndex(tmp_path / "journal.sqlite")
    assert not (tmp_path / "journal.sqlite").exists()


def test_a_file_that_is_not_a_journal_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (a INTEGER)")
    db.close()
    with pytest.raises(AuditError, match="not a Tapeline journal"):
        OrderIndex(other)
    db = sqlite3.connect(other)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    db.close()

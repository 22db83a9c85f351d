"""Any modified, deleted or inserted journal record is named by the chain check."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.sqlite_journal import SqliteJournal
from streams.verify import verify_chain
from tests.streams.log_contract import fills, run

RECORDS = 40
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _journal(factory: pytest.TempPathFactory) -> SqliteJournal:
    journal = SqliteJournal.in_dir(factory.mktemp("chain"))
    run(journal.append(fills(RECORDS, accounts=3)))
    assert verify_chain(journal).ok
    return journal


def _where(journal: SqliteJournal, seq: int) -> str:
    topic, part, _offset = journal.db.execute(
        "SELECT topic, partition, offset FROM journal WHERE seq = ?", (seq,)
    ).fetchone()
    return f"{topic}[{part}]"


@SETTINGS
@given(
    seq=st.integers(1, RECORDS),
    column=st.sampled_from(["payload", "key", "ts_event", "event_id", "kind"]),
)
def test_a_modified_record_is_named(
    tmp_path_factory: pytest.TempPathFactory, seq: int, column: str
) -> None:
    journal = _journal(tmp_path_factory)
    where = _where(journal, seq)
    value = {
        "payload": '{"kind":"fill"}',
        "key": "ACC-X",
        "ts_event": 7,
        "event_id": "e",
        "kind": "quote",
    }[column]
    journal.db.execute(f"UPDATE journal SET {column} = ? WHERE seq = ?", (value, seq))
    report = verify_chain(journal)
    assert not report.ok
    assert any(where in p and f"(seq {seq})" in p for p in report.problems), report.problems
    journal.close_now()


@SETTINGS
@given(seq=st.integers(1, RECORDS))
def test_a_deleted_record_is_named(tmp_path_factory: pytest.TempPathFactory, seq: int) -> None:
    journal = _journal(tmp_path_factory)
    where = _where(journal, seq)
    journal.db.execute("DELETE FROM journal WHERE seq = ?", (seq,))
    report = verify_chain(journal)
    assert not report.ok
    assert any(p.startswith(where) and ("missing" in p or "tail" in p) for p in report.problems), (
        report.problems
    )
    journal.close_now()


@SETTINGS
@given(seq=st.integers(1, RECORDS), shift=st.integers(0, 1))
def test_an_inserted_record_is_named(
    tmp_path_factory: pytest.TempPathFactory, seq: int, shift: int
) -> None:
    journal = _journal(tmp_path_factory)
    row = journal.db.execute("SELECT * FROM journal WHERE seq = ?", (seq,)).fetchone()
    where = f"{row[1]}[{row[2]}]"
    forged = list(row)
    forged[0] = RECORDS + 1000
    forged[3] = row[3] + shift  # a copy at the same offset, or at the next one
    journal.db.execute("DROP INDEX journal_position")
    journal.db.execute("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", forged)
    report = verify_chain(journal)
    assert not report.ok
    assert any(p.startswith(where) for p in report.problems), report.problems
    journal.close_now()


def test_a_cut_tail_is_found(tmp_path_factory: pytest.TempPathFactory) -> None:
    journal = _journal(tmp_path_factory)
    last = journal.db.execute("SELECT max(seq) FROM journal").fetchone()[0]
    where = _where(journal, last)
    journal.db.execute("DELETE FROM journal WHERE seq = ?", (last,))
    report = verify_chain(journal)
    assert any(p.startswith(where) and "tail" in p for p in report.problems), report.problems
    journal.close_now()

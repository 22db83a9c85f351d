"""Rows a restart rebuilt from the log's tail are saved by the next flush, not lost."""

from __future__ import annotations

from pathlib import Path

from agents.registry import Config, embedded_runtime
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS
from tests import factories


def test_rows_recovered_from_the_tail_survive_the_next_flush(tmp_path: Path) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    embedded_runtime(journal, Config()).submit(
        [new_record(EXEC_REPORTS, factories.fill(exec_id="X-1", account="ACC-1"))]
    )
    journal.close_now()  # a crash: no runtime.flush()
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, Config())  # folds ACC-1 back from the tail
    runtime.submit([new_record(EXEC_REPORTS, factories.fill(exec_id="X-2", account="ACC-2"))])
    runtime.flush()  # writes ACC-2 only, yet moves saved_seq past ACC-1's fill
    journal.close_now()
    journal = SqliteJournal.in_dir(tmp_path)
    accounts = {
        key.split("|")[0]
        for key in embedded_runtime(journal, Config()).tables()["positions"].states
    }
    journal.close_now()
    assert accounts == {"ACC-1", "ACC-2"}

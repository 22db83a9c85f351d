"""A repeated fill under a new event id (a drop copy) moves no position: fills are
recognised by account and ExecID, whatever event id they came with."""

from __future__ import annotations

from pathlib import Path

from agents.registry import Config, build_agents, embedded_runtime
from streams.records import new_record
from streams.recovery import recovered_tables
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS
from tests import factories


def _hashes(journal: SqliteJournal) -> dict[str, str]:
    agents = [a for a in build_agents(Config()) if a.replayable]
    return {name: table.hash() for name, table in recovered_tables(journal, agents).items()}


def test_the_same_fill_under_a_new_event_id_moves_nothing(tmp_path: Path) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, Config())
    fill = factories.fill(exec_id="X-7", qty="0.5", price="9000", fee="1")
    runtime.submit([new_record(EXEC_REPORTS, fill)])
    runtime.flush()
    once = _hashes(journal)
    copies = [new_record(EXEC_REPORTS, fill, event_id=f"drop-copy-{n}") for n in range(3)]
    runtime.submit(copies[:1])
    runtime.submit(copies[1:])  # two copies in one batch as well
    runtime.flush()
    twice = _hashes(journal)
    position = next(iter(runtime.tables()["positions"].states.values()))
    journal.close_now()
    assert str(position.qty) == "0.5"
    changed = sorted(name for name in once if once[name] != twice[name])
    # Only the OMS may remember the duplicate (an alert, an unknown-order note).
    assert set(changed) <= {"oms", "alerts"}, changed

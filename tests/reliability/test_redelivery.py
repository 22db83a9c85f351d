"""Redelivery: records handed to the agents again must not count twice.

A consumer that lost its position (a checkpoint restored from an old backup, a progress
row rolled back by hand) reads records it has already folded. The promise: the tables and the log
stay exactly as they were.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agents.registry import build_agents, embedded_runtime, load_config
from streams.recovery import recovered_tables
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from tests.reliability import crash_driver, ledger

SEED = 41


def _hashes(journal: SqliteJournal) -> dict[str, str]:
    agents = [a for a in build_agents(load_config(journal.path.parent)) if a.replayable]
    return {name: table.hash() for name, table in recovered_tables(journal, agents).items()}


def _catchup(data_dir: Path) -> None:
    journal = SqliteJournal.in_dir(data_dir)
    runtime = embedded_runtime(journal, load_config(data_dir))
    runtime.catchup()
    runtime.flush()
    journal.close_now()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("redelivery")
    crash_driver.main("session", data_dir, SEED, 0)
    return data_dir


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.9])
def test_a_checkpoint_rolled_back_to_an_older_seq_counts_nothing_twice(
    session: Path, tmp_path: Path, fraction: float
) -> None:
    data_dir = tmp_path / "copy"
    data_dir.mkdir()
    with (
        sqlite3.connect(session / "journal.sqlite") as source,
        sqlite3.connect(data_dir / "journal.sqlite") as target,
    ):
        source.backup(target)
    journal = SqliteJournal.in_dir(data_dir)
    end, before = journal.end_seq(), _hashes(journal)
    older = int(end * fraction)
    with journal.transaction():
        journal.db.execute(
            "UPDATE agent_progress SET input_seq = min(input_seq, ?), "
            "state_seq = min(state_seq, ?)",
            (older, older),
        )
    journal.close_now()
    ledger.add(ledger.FAULTS)
    _catchup(data_dir)
    journal = SqliteJournal.in_dir(data_dir)
    after, end_after = _hashes(journal), journal.end_seq()
    rebuilt = replay(journal, build_agents(load_config(data_dir))).hashes()
    journal.close_now()
    ledger.add(ledger.DUPLICATED, end_after - end)
    assert end_after == end, "redelivered inputs were decided again"
    assert after == before, "a table counted redelivered records twice"
    assert {name: rebuilt[name] for name in after} == after

"""A runtime killed mid-session and restarted writes exactly what one that never stopped
writes: its tables come back from saved rows plus the log's tail, and the process
agents (venue, PnL marker, TCA analyzer) from their inputs."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from agents.instruments import InstrumentRegistry
from agents.normalizer import synthetic_feed
from agents.orderflow.generator import OrderFlow
from agents.registry import Config, embedded_runtime
from schemas import Record
from streams.records import new_record
from streams.recovery import recovered_tables
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS

TICKS = 1500
BATCH = 40


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs."""


def _session_records() -> list[tuple[str, Record]]:
    registry = InstrumentRegistry()
    flow = OrderFlow(seed=5, orders=120, ticks=TICKS, accounts=["A", "B"], registry=registry)
    records: list[tuple[str, Record]] = []
    for tick in synthetic_feed(5, count=TICKS):
        records.append((MD_TICKS, tick))
        records.extend((ORDERS_COMMANDS, command) for command in flow.on_tick(tick))
    return records


def _journal(path: Path) -> SqliteJournal:
    journal = SqliteJournal.in_dir(path)
    with journal.transaction():
        journal.append_in_transaction([new_record(t, r) for t, r in _session_records()])
    return journal


def _runtime(journal: SqliteJournal) -> EmbeddedRuntime:
    runtime = embedded_runtime(journal, Config())
    runtime.batch_size = BATCH
    return runtime


def _written(journal: SqliteJournal) -> list[tuple[Any, ...]]:
    """Everything in the log but the ingest time: what was decided, in order."""
    return journal.db.execute(
        "SELECT seq, topic, partition, offset, kind, event_id, causation_id, payload "
        "FROM journal ORDER BY seq"
    ).fetchall()


@pytest.mark.parametrize("crash_after", [2, 9, 25, 45])
def test_a_restarted_runtime_writes_what_an_unbroken_one_writes(
    tmp_path: Path, crash_after: int
) -> None:
    clean = _journal(tmp_path / "clean")
    _runtime(clean).catchup()

    broken = _journal(tmp_path / "broken")
    runtime = _runtime(broken)
    calls = 0
    original = broken.append_in_transaction

    def crashing(records: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > crash_after:
            raise Crash
        return original(records)

    broken.append_in_transaction = crashing  # type: ignore[method-assign]
    with contextlib.suppress(Crash):
        runtime.catchup()
    broken.append_in_transaction = original  # type: ignore[method-assign]
    assert calls > crash_after, "the crash must land mid-session"
    _runtime(broken).catchup()  # a new process: saved rows + the log's tail

    written = _written(broken)
    assert written == _written(clean)
    assert sum(1 for row in written if row[4] == "fill") > 0
    tables = [name for name in ("orders", "positions", "pnl", "exeq", "oms")]
    agents = [runner.agent for runner in _runtime(clean).runners if runner.agent.name in tables]
    assert {n: t.hash() for n, t in recovered_tables(broken, agents).items()} == {
        n: t.hash() for n, t in recovered_tables(clean, agents).items()
    }
    clean.close_now()
    broken.close_now()

"""Replay equals live; snapshot + tail equals full replay; duplicates change nothing;
a crash at any point neither loses nor repeats work."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.instruments import InstrumentRegistry
from agents.registry import Config, agent_named, build_agents
from agents.risk import RiskLimits
from agents.view import TablesView
from schemas import Record
from streams.agent import Agent
from streams.records import new_record
from streams.recovery import recovered_tables
from streams.replay import Until, replay
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.store import StateStore
from streams.topics import EXEC_REPORTS, MD_TICKS, ORDERS_COMMANDS
from tests import factories

REGISTRY = InstrumentRegistry()
INSTRUMENTS = ["binance-futures:BTCUSDT", "synthetic:CHARLIE"]


@st.composite
def fills(draw: st.DrawFn, index: int) -> Record:
    exec_id = draw(st.sampled_from([f"X-{index}", f"X-{index}", "X-dup"]))
    return factories.fill(
        exec_id=exec_id,
        account=draw(st.sampled_from(["ACC-1", "ACC-2"])),
        instrument=draw(st.sampled_from(INSTRUMENTS)),
        side=draw(st.sampled_from(["buy", "sell"])),
        qty=str(draw(st.integers(1, 50))),
        price=str(Decimal(draw(st.integers(9_000, 11_000))) / 4),
        fee=str(Decimal(draw(st.integers(0, 100))) / 100),
        fee_currency=draw(st.sampled_from(["USDT", "USD", "BNB"])),
        ts_event=factories.T0 + index,
    )


@st.composite
def quotes(draw: st.DrawFn, index: int) -> Record:
    bid = Decimal(draw(st.integers(9_000, 11_000))) / 4
    return factories.quote(
        instrument=draw(st.sampled_from(INSTRUMENTS)),
        bid=str(bid),
        ask=str(bid + Decimal("0.25")),
        ts_event=factories.T0 + index,
    )


@st.composite
def sessions(draw: st.DrawFn) -> list[tuple[str, Record]]:
    count = draw(st.integers(1, 60))
    events: list[tuple[str, Record]] = []
    for index in range(count):
        if draw(st.booleans()):
            events.append((EXEC_REPORTS, draw(fills(index))))
        else:
            events.append((MD_TICKS, draw(quotes(index))))
    return events


def _agents() -> list[Agent[Any]]:
    return build_agents(Config(REGISTRY, RiskLimits()))


def _runtime(journal: SqliteJournal, batch: int = 7) -> EmbeddedRuntime:
    return EmbeddedRuntime(
        journal, _agents(), lambda tables: TablesView(tables, REGISTRY), batch_size=batch
    )


def _append_in_chunks(journal: SqliteJournal, events: list[tuple[str, Record]], chunk: int) -> None:
    for start in range(0, len(events), chunk):
        with journal.transaction():
            journal.append_in_transaction(
                [new_record(topic, record) for topic, record in events[start : start + chunk]]
            )


def _live_hashes(journal: SqliteJournal) -> dict[str, str]:
    """The live tables as a restarted runtime recovers them (saved rows + the log's tail)."""
    tables = recovered_tables(journal, [a for a in _agents() if a.replayable])
    return {name: table.hash() for name, table in tables.items()}


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(events=sessions(), chunk=st.integers(1, 20), batch=st.integers(1, 25))
def test_replay_equals_live(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[tuple[str, Record]],
    chunk: int,
    batch: int,
) -> None:
    journal = SqliteJournal.in_dir(tmp_path_factory.mktemp("live"))
    runtime = _runtime(journal, batch)
    for start in range(0, len(events), chunk):
        _append_in_chunks(journal, events[start : start + chunk], chunk)
        runtime.catchup()
    assert replay(journal, _agents()).hashes() == _live_hashes(journal)
    journal.close_now()


@SETTINGS
@given(events=sessions(), cut=st.floats(0, 1))
def test_snapshot_plus_tail_equals_full_replay(
    tmp_path_factory: pytest.TempPathFactory, events: list[tuple[str, Record]], cut: float
) -> None:
    journal = SqliteJournal.in_dir(tmp_path_factory.mktemp("snap"))
    head = int(len(events) * cut)
    _append_in_chunks(journal, events[:head], 5)
    runtime = _runtime(journal)
    runtime.catchup()
    runtime.flush()  # the snapshot copies saved rows
    snapshot_id = StateStore(journal.db).take_snapshot(agent.name for agent in _agents())
    _append_in_chunks(journal, events[head:], 5)
    full = replay(journal, _agents()).hashes()
    from_snapshot = replay(journal, _agents(), snapshot_id=snapshot_id).hashes()
    assert from_snapshot == full
    journal.close_now()


@SETTINGS
@given(events=sessions())
def test_delivering_every_record_twice_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, events: list[tuple[str, Record]]
) -> None:
    once = SqliteJournal.in_dir(tmp_path_factory.mktemp("once"))
    twice = SqliteJournal.in_dir(tmp_path_factory.mktemp("twice"))
    _append_in_chunks(once, events, 10)
    _append_in_chunks(twice, [e for event in events for e in (event, event)], 10)
    _runtime(once).catchup()
    _runtime(twice).catchup()
    assert _live_hashes(once) == _live_hashes(twice)
    assert replay(twice, _agents()).hashes() == _live_hashes(once)
    once.close_now()
    twice.close_now()


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs, nothing is caught."""


@SETTINGS
@given(events=sessions(), crash_at=st.integers(0, 80), batch=st.integers(1, 20))
def test_crash_at_any_point_loses_and_repeats_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[tuple[str, Record]],
    crash_at: int,
    batch: int,
) -> None:
    journal = SqliteJournal.in_dir(tmp_path_factory.mktemp("crash"))
    _append_in_chunks(journal, events, 10)
    runtime = _runtime(journal, batch)
    calls = 0
    original = journal.append_in_transaction

    def crashing_append(records: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > crash_at:
            raise Crash
        return original(records)

    journal.append_in_transaction = crashing_append  # type: ignore[method-assign]
    with contextlib.suppress(Crash):
        runtime.catchup()
    journal.append_in_transaction = original  # type: ignore[method-assign]
    _runtime(journal, batch).catchup()  # the restarted process
    assert _live_hashes(journal) == replay(journal, _agents()).hashes()
    clean = SqliteJournal.in_dir(tmp_path_factory.mktemp("clean"))
    _append_in_chunks(clean, events, 10)
    _runtime(clean).catchup()
    assert _live_hashes(journal) == _live_hashes(clean)
    journal.close_now()
    clean.close_now()


def test_replay_until_seq_and_time(journal: SqliteJournal) -> None:
    events = [
        (EXEC_REPORTS, factories.fill(exec_id=f"X-{i}", ts_event=factories.T0 + i))
        for i in range(10)
    ]
    _append_in_chunks(journal, events, 3)
    by_seq = replay(journal, _agents(), Until(seq=4))
    by_time = replay(journal, _agents(), Until(ts_event=factories.T0 + 3))
    assert by_seq.hashes() == by_time.hashes()
    (position,) = by_seq.tables["positions"].states.values()
    assert position.qty == Decimal(4)


def test_replay_stops_at_the_seq_between_records_of_topics_it_does_not_read(
    journal: SqliteJournal,
) -> None:
    """Commands (no table replays them) between the fills: a batch read for the stop's
    count of rows runs past it, and what lies past it must not be folded. A fill's event
    time going back is replayed while ``ts_event`` is within the stop."""
    events: list[tuple[str, Record]] = []
    for i in range(6):
        events.append((ORDERS_COMMANDS, factories.submit(cl_ord_id=f"C-{i}")))
        ts = factories.T0 + (10 - i if i == 4 else i)  # the fifth fill is stamped late
        events.append((EXEC_REPORTS, factories.fill(exec_id=f"X-{i}", ts_event=ts)))
    _append_in_chunks(journal, events, 5)
    for stop in range(1, 13):
        done = replay(journal, _agents(), Until(seq=stop))
        fills = stop // 2
        assert done.events == fills
        assert done.end_seq == stop if stop % 2 == 0 else done.end_seq <= stop
        qty = sum(p.qty for p in done.tables["positions"].states.values())
        assert qty == fills
    by_time = replay(journal, _agents(), Until(ts_event=factories.T0 + 5))
    assert by_time.events == 5  # all but the late one
    (position,) = by_time.tables["positions"].states.values()
    assert position.qty == 5


def test_a_record_that_fails_its_fold_is_dead_lettered_and_the_rest_go_on(
    journal: SqliteJournal, tmp_path: Path
) -> None:
    good = factories.fill(exec_id="X-1")
    unknown = factories.fill(exec_id="X-2", instrument="nowhere:XYZ")
    later = factories.fill(exec_id="X-3")
    _append_in_chunks(journal, [(EXEC_REPORTS, r) for r in (good, unknown, later)], 10)
    report = _runtime(journal, batch=10).catchup()
    letters = journal.read_since(0, ["deadletter"], 10)
    assert report.dead_letters == len(letters)
    by_agent = {json.loads(letter.payload)["agent"]: letter for letter in letters}
    assert b"unknown instrument" in by_agent["positions"].payload
    assert all(b"nowhere:XYZ" in letter.payload for letter in letters)
    tables = recovered_tables(journal, [agent_named(_agents(), "positions")])
    (position,) = tables["positions"].states.values()
    assert position.qty == Decimal(2)
    assert replay(journal, _agents()).hashes() == _live_hashes(journal)

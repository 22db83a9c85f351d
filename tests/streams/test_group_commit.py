"""``EmbeddedRuntime.submit`` processes what it appends without reading it back, which
holds only while no other connection has appended since its catch-up; when one has,
the other's records are processed first, in log order, as a read would give them. What
the submitted records lead to (fills, positions, PnL) commits with them, once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.registry import Config, build_agents, embedded_runtime
from streams.records import NewRecord, new_record
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS, ORDERS_EVENTS
from tests import factories


def _accepted_order(journal: SqliteJournal) -> list[str]:
    rows = journal.db.execute(
        "SELECT payload FROM journal WHERE topic = ? AND kind = 'order_accepted' ORDER BY seq",
        (ORDERS_EVENTS,),
    ).fetchall()
    return [row[0].split('"cl_ord_id":"')[1].split('"')[0] for row in rows]


def _order(cl_ord_id: str) -> NewRecord:
    return new_record(ORDERS_COMMANDS, factories.submit(cl_ord_id=cl_ord_id, qty="0.001"))


def test_an_append_by_another_connection_is_processed_before_the_submitted_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, Config())
    runtime.submit([new_record(MD_TICKS, factories.quote()), _order("C-1")])
    other = SqliteJournal.in_dir(tmp_path)  # e.g. `log append` from another process
    with other.transaction():
        other.append_in_transaction([_order("C-2")])  # before submit's own catch-up
    racing = [_order("C-3")]
    caught_up = runtime.catchup

    def catchup_then_another_append(on_batch: Callable[[int], None] | None = None) -> Any:
        report = caught_up(on_batch)
        if racing:  # lands between the catch-up and the submit's transaction
            with other.transaction():
                other.append_in_transaction([racing.pop()])
        return report

    monkeypatch.setattr(runtime, "catchup", catchup_then_another_append)
    runtime.submit([_order("C-4")])
    runtime.submit([_order("C-5")])
    assert _accepted_order(journal) == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    live = {name: table.hash() for name, table in runtime.tables().items()}
    replayed = replay(journal, [a for a in build_agents(Config()) if a.replayable]).hashes()
    assert {name: live[name] for name in replayed} == replayed
    other.close_now()
    journal.close_now()


def test_a_marketable_order_and_everything_it_leads_to_commit_once(tmp_path: Path) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, Config())
    runtime.submit([new_record(MD_TICKS, factories.quote())])
    statements: list[str] = []
    journal.db.set_trace_callback(statements.append)
    buy = factories.submit(
        cl_ord_id="M-1", order_type="market", limit_price=None, tif="IOC", qty="0.5"
    )
    runtime.submit([new_record(ORDERS_COMMANDS, buy)])
    journal.db.set_trace_callback(None)
    kinds = [row[0] for row in journal.db.execute("SELECT kind FROM journal ORDER BY seq")]
    assert kinds[1:] == [
        "submit_order", "order_accepted", "risk_decision",  # the OMS's decision
        "fill", "order_filled",  # the venue's fill, and the OMS's fold of it
        "pnl_snapshot", "execution_quality",  # what the fill led to
    ]  # fmt: skip
    transactions = [s.split()[0].upper() for s in statements]
    assert [s for s in transactions if s in ("BEGIN", "COMMIT", "ROLLBACK")] == ["BEGIN", "COMMIT"]
    live = {name: table.hash() for name, table in runtime.tables().items()}
    replayed = replay(journal, [a for a in build_agents(Config()) if a.replayable]).hashes()
    assert {name: live[name] for name in replayed} == replayed
    journal.close_now()

"""The pnl agents inside the embedded runtime: marks from the view, replay equals live."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.pnl import agent as pnl
from agents.tickers import agent as tickers
from agents.view import TablesView
from schemas import PnlSnapshot, Record
from streams.records import new_record
from streams.replay import replay
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.store import StateStore
from streams.topics import EXEC_REPORTS, MD_TICKS, PNL_SNAPSHOTS
from tests.factories import BTC, T0, fill, quote

REGISTRY = InstrumentRegistry()
SECOND = 1_000_000_000


def _agents() -> list[Any]:
    return [tickers.build(), pnl.build_marker(REGISTRY), pnl.build()]


def test_snapshots_name_the_view_marks_and_replay_matches(journal: SqliteJournal) -> None:
    events: list[tuple[str, Record]] = [
        (EXEC_REPORTS, fill(exec_id="X-1", qty="2", price="100", ts_event=T0)),
        (MD_TICKS, quote(bid="101", ask="103", ts_event=T0 + 1)),
        (EXEC_REPORTS, fill(exec_id="X-2", qty="1", price="102", ts_event=T0 + SECOND)),
        (EXEC_REPORTS, fill(exec_id="X-1", qty="2", price="100", ts_event=T0)),  # repeated
    ]
    with journal.transaction():
        journal.append_in_transaction([new_record(topic, event) for topic, event in events])
    runtime = EmbeddedRuntime(
        journal, _agents(), lambda tables: TablesView(tables, REGISTRY), batch_size=2
    )
    assert runtime.catchup().dead_letters == 0
    records = journal.read_since(0, [PNL_SNAPSHOTS], 10)
    first, second = (PnlSnapshot.model_validate_json(r.payload) for r in records)
    assert first.marks == {BTC: D("100")}  # no quote yet: the fill price
    # A = (2 * 100 + 1 * 102) / 3 = 302 / 3; marked at mid 102: 3 * (102 - 302/3) = 4
    assert second.marks == {BTC: D("102")}
    assert second.unrealized_pnl == 3 * (D(102) - D(302) / D(3))
    runtime.flush()  # tables are saved every so often and when the runtime stops
    row = StateStore(journal.db).load(_agents()[2]).states["ACC-1"]
    assert [p.ts for p in row.points] == [T0, T0 + SECOND]
    live = runtime.tables()["pnl"].hash()
    assert replay(journal, _agents()).hashes()["pnl"] == live

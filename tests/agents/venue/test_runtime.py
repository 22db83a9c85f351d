"""The venue inside the embedded runtime: msgspec inputs in log order, stored books."""

from __future__ import annotations

from typing import Any

from agents.instruments import InstrumentRegistry
from agents.tickers import agent as tickers
from agents.venue import build
from agents.view import TablesView
from schemas import Record
from streams.codec import decode_payload
from streams.records import new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS, MD_TICKS, ORDERS_EVENTS
from tests.agents.venue.support import accepted, market
from tests.factories import T0, quote, trade

REGISTRY = InstrumentRegistry()


def _runtime(journal: SqliteJournal, batch_size: int) -> EmbeddedRuntime:
    return EmbeddedRuntime(
        journal,
        [tickers.build(), build()],
        view_factory=lambda tables: TablesView(tables, REGISTRY),
        batch_size=batch_size,
    )


def _append(journal: SqliteJournal, events: list[tuple[str, Record]]) -> None:
    with journal.transaction():
        journal.append_in_transaction([new_record(topic, event) for topic, event in events])


def _reports(journal: SqliteJournal) -> list[tuple[str, Any]]:
    records = journal.read_since(0, [EXEC_REPORTS], 1000)
    return [(r.key, decode_payload(r.kind, r.payload)) for r in records]


def test_fills_flow_to_exec_reports_across_batches_and_restarts(journal: SqliteJournal) -> None:
    _append(
        journal,
        [
            (MD_TICKS, quote(ask="10000.5", ask_size="1", ts_event=T0)),
            (ORDERS_EVENTS, market(qty="3", ts_event=T0 + 1)),
            (ORDERS_EVENTS, accepted(order_id="O-2", limit_price="9990", ts_event=T0 + 2)),
        ],
    )
    _runtime(journal, batch_size=2).catchup()
    # A fresh runtime loads the stored book and carries on.
    _append(journal, [(MD_TICKS, trade(price="9980", size="0.4", ts_event=T0 + 3))])
    _runtime(journal, batch_size=1).catchup()

    reports = _reports(journal)
    assert [(key, r.kind) for key, r in reports] == [
        ("ACC-1", "fill"),
        ("ACC-1", "exec_canceled"),
        ("ACC-1", "fill"),
    ]
    taker, rest, maker = (r for _, r in reports)
    assert (taker.exec_id, str(taker.qty), str(taker.price), taker.liquidity) == (
        "O-1-F1",
        "1",
        "10000.5",
        "taker",
    )
    assert (rest.canceled_qty, rest.reason) == (2, "no liquidity at the touch")
    assert (maker.exec_id, str(maker.qty), str(maker.price), maker.liquidity) == (
        "O-2-F1",
        "0.4",
        "9990",
        "maker",
    )
    assert str(maker.fee) == "0.39960000"
    # Running again over the same log writes nothing more.
    _runtime(journal, batch_size=10).catchup()
    assert len(_reports(journal)) == 3

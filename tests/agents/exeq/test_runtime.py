"""The exeq agents inside the embedded runtime: msgspec inputs, stored state, replay."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from agents.exeq import agent as exeq
from agents.exeq.state import ExeqBook
from agents.exeq.table import summary_rows
from agents.instruments import InstrumentRegistry
from agents.tickers import agent as tickers
from agents.view import TablesView
from schemas import ExecutionQuality, Record
from streams.codec import decode_payload
from streams.records import new_record
from streams.replay import replay
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.store import StateStore
from streams.topics import EXEQ_REPORTS, MD_TICKS, ORDERS_EVENTS
from tests.agents.exeq.support import (
    MS,
    SECOND,
    accepted,
    canceled,
    filled,
    market_trade,
    partial,
    quote_mid,
)
from tests.factories import T0

REGISTRY = InstrumentRegistry()


def _agents() -> list[Any]:
    return [tickers.build(), exeq.build_analyzer(REGISTRY), exeq.build()]


def _events() -> list[tuple[str, Record]]:
    t = T0
    return [
        (MD_TICKS, quote_mid("100", t)),
        (ORDERS_EVENTS, accepted(qty="2", ts_event=t + MS)),
        (MD_TICKS, market_trade("100.2", "2", t + 2 * MS, trade_id="T-1")),
        (ORDERS_EVENTS, partial(exec_id="E-1", last_px="100.1", ts_event=t + 3 * MS)),
        (ORDERS_EVENTS, filled(exec_id="E-2", last_px="100.3", ts_event=t + 4 * MS)),
        (
            ORDERS_EVENTS,
            accepted(order_id="O-2", cl_ord_id="C-9", side="sell", ts_event=t + 5 * MS),
        ),
        (ORDERS_EVENTS, canceled(order_id="O-2", cl_ord_id="C-9", ts_event=t + 6 * MS)),
        (MD_TICKS, quote_mid("100.5", t + 200 * MS)),
        (MD_TICKS, market_trade("100.5", "1", t + 70 * SECOND, trade_id="T-2")),
    ]


def test_reports_table_and_replay(journal: SqliteJournal) -> None:
    with journal.transaction():
        journal.append_in_transaction([new_record(topic, event) for topic, event in _events()])
    runtime = EmbeddedRuntime(
        journal, _agents(), lambda tables: TablesView(tables, REGISTRY), batch_size=3
    )
    report = runtime.catchup()
    assert report.dead_letters == 0
    records = journal.read_since(0, [EXEQ_REPORTS], 100)
    reports: list[ExecutionQuality] = [
        ExecutionQuality.model_validate_json(r.payload) for r in records
    ]
    assert [(r.order_id, r.final) for r in reports] == [
        ("O-1", False),
        ("O-2", True),
        ("O-1", True),
    ]
    final = reports[-1]
    # avg 100.2 vs arrival 100: 20 bps; every horizon resolved with mid 100.5:
    # (100.5 - 100.2) / 100.2 * 1e4 = 29.94011976 -> 29.9401
    assert final.arrival_slippage_bps == D("20.0000")
    assert final.markout_60s_bps == D("29.9401")
    assert final.market_vwap == D("100.2")

    runtime.flush()  # tables are saved every so often and when the runtime stops
    store = StateStore(journal.db)
    agents = {agent.name: agent for agent in _agents()}
    rows = store.load(agents["exeq"]).states
    assert sorted(rows) == ["ACC-1|O-1", "ACC-1|O-2"]
    assert rows["ACC-1|O-1"].final
    assert rows["ACC-1|O-1"].reports == 2
    present = agents["exeq"].present
    assert present("ACC-1|O-1", rows["ACC-1|O-1"], {})["markout_60s_bps"] == "29.9401"
    [summary] = summary_rows(rows.values())
    assert (summary["orders"], summary["filled_orders"]) == (2, 1)
    assert summary["fill_rate"] == "0." + "6" * 33 + "7"  # 2 filled of 3 ordered, 34 digits
    assert summary["arrival_slippage_bps"] == "20.0000"
    books: dict[str, ExeqBook] = store.load(agents["exeq-analyzer"]).states
    assert all(book.orders == {} and book.due == [] for book in books.values())

    live = runtime.tables()["exeq"].hash()
    assert replay(journal, _agents()).hashes()["exeq"] == live


def test_reports_decode_as_the_runtime_delivers_them() -> None:
    book = ExeqBook(instrument="binance-futures:BTCUSDT")
    analyzer = exeq.build_analyzer(REGISTRY)
    assert analyzer.process is not None
    outputs = []
    for _, event in _events():
        fast = decode_payload(event.KIND, event.model_dump_json().encode())
        book, emitted = analyzer.process(book, fast, TablesView({}, REGISTRY))
        outputs.extend(emitted)
    assert [getattr(r, "final", None) for r in outputs] == [False, True, True]

"""The tick sink against a real QuestDB: values, idempotence, outages, refusals."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from agents.sink_ticks import (
    Backoff,
    Endpoint,
    QuestDbUnavailable,
    RowsRefusedError,
    SchemaDriftError,
    TickSink,
    TickTables,
)
from schemas import MarketDataGap, Quote, Trade
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from tests.agents.sink_ticks.conftest import CuttableLink, append_ticks, deploy, settled_count
from tests.factories import trade

TRADES, QUOTES = 9999, 9999


def sink_for(journal: SqliteJournal, conf: str, tables: TickTables, **options: object) -> TickSink:
    return TickSink(journal, conf, table_prefix=tables.prefix, **options)  # type: ignore[arg-type]


def test_the_shared_session_lands_whole_and_exact(
    session_journal: SqliteJournal,
    session_ticks: list[Trade | Quote],
    questdb_conf: str,
    endpoint: Endpoint,
    tables: TickTables,
) -> None:
    sink = sink_for(session_journal, questdb_conf, tables, batch_size=7000)
    counters = sink.run_until_caught_up()
    assert (counters.trades_written, counters.quotes_written, counters.batches) == (
        TRADES,
        QUOTES,
        3,
    )
    assert sink.checkpoint() == session_journal.end_seq() == TRADES + QUOTES
    assert settled_count(endpoint, tables.trades) == TRADES
    assert settled_count(endpoint, tables.quotes) == QUOTES

    stored_trades = {
        row[0]: row[1:]
        for row in endpoint.rows(
            "SELECT trade_id, price, size, aggressor, instrument, venue, ts::long, "
            f"ts_recv::long FROM '{tables.trades}'"
        )
    }
    for tick in session_ticks:
        if isinstance(tick, Trade):
            price, size, side, instrument, venue, ts, ts_recv = stored_trades[tick.trade_id]
            assert (Decimal(price), Decimal(size)) == (tick.price, tick.size)
            assert (side, instrument, venue) == (tick.aggressor, tick.instrument, "binance-futures")
            assert (ts, ts_recv) == (tick.ts_event, tick.ts_recv)

    stored_quotes = {
        row[0]: row[1:]
        for row in endpoint.rows(
            f"SELECT ts_recv::long, bid, bid_size, ask, ask_size, ts::long FROM '{tables.quotes}'"
        )
    }
    for tick in session_ticks:
        if isinstance(tick, Quote):
            bid, bid_size, ask, ask_size, ts = stored_quotes[tick.ts_recv]
            assert [Decimal(v) for v in (bid, bid_size, ask, ask_size)] == [
                tick.bid,
                tick.bid_size,
                tick.ask,
                tick.ask_size,
            ]
            assert ts == tick.ts_event


def test_a_second_pass_adds_no_rows(
    session_journal: SqliteJournal, questdb_conf: str, endpoint: Endpoint, tables: TickTables
) -> None:
    first = sink_for(session_journal, questdb_conf, tables).run_until_caught_up()
    # A consumer with no checkpoint redelivers everything: the same rows, sent again.
    again = sink_for(session_journal, questdb_conf, tables, consumer="sink-ticks-replay")
    second = again.run_until_caught_up()
    assert second.trades_written == first.trades_written == TRADES
    assert settled_count(endpoint, tables.trades) == TRADES
    assert settled_count(endpoint, tables.quotes) == QUOTES
    # Caught up: nothing more to send, nothing more read.
    assert again.run_once() == 0


def test_questdb_stopped_mid_run_loses_nothing(
    session_journal: SqliteJournal, questdb_conf: str, endpoint: Endpoint, tables: TickTables
) -> None:
    restarts: list[float] = []

    def restart_instead_of_waiting(delay: float) -> None:
        restarts.append(delay)
        deploy("up")

    sink = sink_for(
        session_journal,
        questdb_conf,
        tables,
        batch_size=6000,
        backoff=Backoff(initial=0.5, maximum=2.0, attempts=3),
        sleep=restart_instead_of_waiting,
    )
    assert sink.run_once() == 6000
    deploy("down")
    try:
        with pytest.raises(QuestDbUnavailable, match=re.escape(endpoint.base_url)):
            sink.run_once()
        assert sink.checkpoint() == 6000
        counters = sink.run_until_caught_up()
    finally:
        deploy("up")
    assert restarts == [0.5]
    assert counters.retries == 1
    assert sink.checkpoint() == TRADES + QUOTES
    assert settled_count(endpoint, tables.trades) == TRADES
    assert settled_count(endpoint, tables.quotes) == QUOTES


def test_a_link_cut_mid_pipeline_backs_off_and_loses_nothing(
    session_journal: SqliteJournal, link: CuttableLink, endpoint: Endpoint, tables: TickTables
) -> None:
    """The outage lands while one batch is in flight and the next is being encoded."""
    waits: list[float] = []
    landed_at_cut: list[int] = []

    def restore_instead_of_waiting(delay: float) -> None:
        waits.append(delay)
        landed_at_cut.append(sink.checkpoint())
        link.restore()

    sink = sink_for(
        session_journal,
        link.conf(),
        tables,
        batch_size=4000,
        backoff=Backoff(initial=0.5, maximum=2.0, attempts=3),
        sleep=restore_instead_of_waiting,
    )
    sink.ensure_tables()
    link.budget = 2_000_000  # about two batches of ILP, then the link drops
    counters = sink.run_until_caught_up()
    assert link.cuts == 1
    assert waits == [0.5]
    assert 0 < landed_at_cut[0] < TRADES + QUOTES
    assert (counters.retries, counters.last_error) == (1, None)
    assert sink.checkpoint() == TRADES + QUOTES
    assert settled_count(endpoint, tables.trades) == TRADES
    assert settled_count(endpoint, tables.quotes) == QUOTES


def test_a_link_that_stays_down_is_retried_ever_later_then_given_up(
    session_journal: SqliteJournal, link: CuttableLink, endpoint: Endpoint, tables: TickTables
) -> None:
    waits: list[float] = []
    sink = sink_for(
        session_journal,
        link.conf(),
        tables,
        batch_size=4000,
        backoff=Backoff(initial=0.5, maximum=1.0, attempts=3),
        sleep=waits.append,
    )
    sink.ensure_tables()
    link.budget = 2_000_000
    with pytest.raises(QuestDbUnavailable):
        sink.run_until_caught_up()
    assert waits == [0.5, 1.0, 1.0]
    assert sink.counters.retries == 3
    stuck = sink.checkpoint()
    assert 0 < stuck < TRADES + QUOTES
    link.restore()
    sink.run_until_caught_up()
    assert sink.checkpoint() == TRADES + QUOTES
    assert settled_count(endpoint, tables.trades) == TRADES
    assert settled_count(endpoint, tables.quotes) == QUOTES


def test_a_refused_row_stops_the_sink_in_place(
    tmp_path: Path, questdb_conf: str, endpoint: Endpoint, tables: TickTables
) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    good = [trade(trade_id=f"T-{i}", ts_event=1_700_000_000_000_000_000 + i) for i in range(4)]
    # Exact, valid for the schema, but finer than DECIMAL(38,18): QuestDB must not round it.
    too_fine = trade(trade_id="T-fine", price="0.0000000000000000001")
    append_ticks(journal, [*good[:2], too_fine, *good[2:]])
    sink = sink_for(journal, questdb_conf, tables, batch_size=2)
    assert sink.run_once() == 2
    for _ in range(2):
        with pytest.raises(RowsRefusedError, match="loss of precision") as refused:
            sink.run_once()
        assert (refused.value.table, refused.value.column) == (tables.trades, "price")
        assert refused.value.first_seq == 3
        assert sink.checkpoint() == 2
    assert sink.counters.refused == 2
    assert sink.counters.last_error is not None
    assert tables.trades in sink.counters.last_error
    assert settled_count(endpoint, tables.trades) == 2


def test_a_drifted_table_is_named_before_any_row(
    tmp_path: Path, questdb_conf: str, endpoint: Endpoint, tables: TickTables
) -> None:
    endpoint.exec(
        f"CREATE TABLE '{tables.trades}' (instrument SYMBOL, venue SYMBOL, trade_id VARCHAR, "
        "price DOUBLE, size DOUBLE, aggressor SYMBOL, ts_recv TIMESTAMP_NS, ts TIMESTAMP_NS) "
        "TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, instrument, trade_id)"
    )
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    append_ticks(journal, [trade()])
    sink = sink_for(journal, questdb_conf, tables)
    with pytest.raises(SchemaDriftError, match="is DOUBLE") as drift:
        sink.run_once()
    assert (drift.value.table, drift.value.column) == (tables.trades, "price")
    assert sink.checkpoint() == 0


def test_gaps_are_passed_over_and_the_checkpoint_moves(
    tmp_path: Path, questdb_conf: str, endpoint: Endpoint, tables: TickTables
) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    gap = MarketDataGap(
        instrument="binance-futures:BTCUSDT",  # type: ignore[arg-type]
        channel="trade",
        expected_seq=5,
        received_seq=9,
        ts_event=1_700_000_000_000_000_000,
        ts_recv=1_700_000_000_000_000_000,
    )
    with journal.transaction():
        journal.append_in_transaction([new_record("md.ticks", gap)])
    append_ticks(journal, [trade()])
    sink = sink_for(journal, questdb_conf, tables)
    counters = sink.run_until_caught_up()
    assert (counters.skipped, counters.trades_written, sink.checkpoint()) == (1, 1, 2)
    assert settled_count(endpoint, tables.trades) == 1

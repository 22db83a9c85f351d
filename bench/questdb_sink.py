"""sink-ticks throughput against a real QuestDB, as a ratio to the bare client.

Both sides write the same rows into the same kind of tables (DECIMAL prices, dedup keys)
in batches of the same size, one flush per batch, and stop the clock when QuestDB has
acknowledged the last flush: the rows are committed to the tables' WAL, and visible once
QuestDB has applied it (measured 1-3 % later: applying keeps up). The direct side starts
from values already in memory, written twice: through the row API (``Buffer.row`` per
tick) and through the client's fastest documented one (``Buffer.dataframe``, one frame per
table and batch, built from those values inside the clock, Arrow-backed columns).
``direct_rows_per_s`` is the faster of the two and the ratio's denominator. The sink side
reads the journal, decodes, keeps its checkpoint. ``*_cpu_us_per_row`` is this process's
CPU time (all threads) per row: steadier than rows/s when the machine is shared.
``server_ingest_rows_per_s`` is the ceiling any client can reach on this server: the same
rows encoded into buffers before the clock, then only flushed, so the client does nothing
but wait for QuestDB (which shares the machine's cores with the client). The ratio
is what stays comparable on a shared, noisy machine; rows/s is what the server allowed
that day. Needs `deploy/up questdb` (or $TAPELINE_QUESTDB).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no stubs
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs
from questdb import Sender, TimestampNanos

from agents.sink_ticks import Endpoint, TickSink, TickTables, conf_from_env
from agents.sink_ticks.columns import DECIMAL_TYPE, TIMESTAMP_TYPE, read_batch
from agents.sink_ticks.endpoint import sender_conf
from agents.sink_ticks.sink import DEFAULT_BATCH
from agents.sink_ticks.tables import ensure_tables
from bench.harness import stopwatch
from schemas import Quote, Trade
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS

DEFAULT_CONF = "http::addr=127.0.0.1:9000;"
INSTRUMENT = "binance-futures:BTCUSDT"
T0 = 1_582_329_600_000_000_000


def make_ticks(rows: int) -> list[Trade | Quote]:
    """Alternating trades and quotes with distinct timestamps and varied decimals."""
    ticks: list[Trade | Quote] = []
    for i in range(rows):
        ts = T0 + i * 1000
        mid = Decimal(960_000 + (i * 7919) % 4000) / 100
        if i % 2:
            ticks.append(
                Trade(
                    instrument=INSTRUMENT,  # type: ignore[arg-type]
                    trade_id=str(40_000_000 + i),
                    price=mid,
                    size=Decimal(1 + i % 997) / 1000,
                    aggressor="buy" if i % 3 else "sell",
                    ts_event=ts,
                    ts_recv=ts + 300_000,
                )
            )
        else:
            ticks.append(
                Quote(
                    instrument=INSTRUMENT,  # type: ignore[arg-type]
                    bid=mid,
                    bid_size=Decimal(1 + i % 89) / 100,
                    ask=mid + Decimal("0.01"),
                    ask_size=Decimal(1 + i % 71) / 100,
                    ts_event=ts,
                    ts_recv=ts + 300_000,
                )
            )
    return ticks


def write_direct_rows(
    conf: str, tables: TickTables, ticks: list[Trade | Quote], batch: int
) -> None:
    """The bare client's row API: the same rows from memory, one flush per batch."""
    venue = INSTRUMENT.partition(":")[0]
    with Sender.from_conf(sender_conf(conf)) as sender:
        for start in range(0, len(ticks), batch):
            buffer = sender.new_buffer()
            for tick in ticks[start : start + batch]:
                if isinstance(tick, Trade):
                    buffer.row(
                        tables.trades,
                        symbols={
                            "instrument": tick.instrument,
                            "venue": venue,
                            "aggressor": tick.aggressor,
                        },
                        columns={
                            "trade_id": tick.trade_id,
                            "price": tick.price,
                            "size": tick.size,
                            "ts_recv": TimestampNanos(tick.ts_recv),
                        },
                        at=TimestampNanos(tick.ts_event),
                    )
                else:
                    buffer.row(
                        tables.quotes,
                        symbols={"instrument": tick.instrument, "venue": venue},
                        columns={
                            "bid": tick.bid,
                            "bid_size": tick.bid_size,
                            "ask": tick.ask,
                            "ask_size": tick.ask_size,
                            "ts_recv": TimestampNanos(tick.ts_recv),
                        },
                        at=TimestampNanos(tick.ts_event),
                    )
            sender.flush(buffer)


def _decimals(values: list[Decimal]) -> Any:
    return pa.array(values, DECIMAL_TYPE)


def _nanos(values: list[int]) -> Any:
    return pa.array(values, pa.int64()).cast(TIMESTAMP_TYPE)


def _text(values: list[str]) -> Any:
    return pa.array(values, pa.string())


def direct_frames(ticks: list[Trade | Quote]) -> tuple[Any, Any]:
    """(trades, quotes) frames of ``ticks`` with Arrow-backed columns, the layout the sink
    sends too (the fastest of the client's dataframe inputs here: ``Decimal`` object
    columns cost 20% more CPU)."""
    venue = INSTRUMENT.partition(":")[0]
    trades = [tick for tick in ticks if isinstance(tick, Trade)]
    quotes = [tick for tick in ticks if isinstance(tick, Quote)]
    trade_table = pa.table(
        {
            "instrument": _text([t.instrument for t in trades]),
            "venue": _text([venue] * len(trades)),
            "trade_id": _text([t.trade_id for t in trades]),
            "price": _decimals([t.price for t in trades]),
            "size": _decimals([t.size for t in trades]),
            "aggressor": _text([t.aggressor for t in trades]),
            "ts_recv": _nanos([t.ts_recv for t in trades]),
            "ts": _nanos([t.ts_event for t in trades]),
        }
    )
    quote_table = pa.table(
        {
            "instrument": _text([q.instrument for q in quotes]),
            "venue": _text([venue] * len(quotes)),
            "bid": _decimals([q.bid for q in quotes]),
            "bid_size": _decimals([q.bid_size for q in quotes]),
            "ask": _decimals([q.ask for q in quotes]),
            "ask_size": _decimals([q.ask_size for q in quotes]),
            "ts_recv": _nanos([q.ts_recv for q in quotes]),
            "ts": _nanos([q.ts_event for q in quotes]),
        }
    )
    return (
        trade_table.to_pandas(types_mapper=pd.ArrowDtype),
        quote_table.to_pandas(types_mapper=pd.ArrowDtype),
    )


def write_direct_frames(
    conf: str, tables: TickTables, ticks: list[Trade | Quote], batch: int
) -> None:
    """The bare client's dataframe API: one frame per table and batch, one flush each."""
    with Sender.from_conf(sender_conf(conf)) as sender:
        for start in range(0, len(ticks), batch):
            sender.flush(_frames_buffer(sender, tables, ticks[start : start + batch]))


def encoded_batches(conf: str, tables: TickTables, ticks: list[Trade | Quote], batch: int) -> Any:
    """(sender, buffers): the rows of each batch already in an ILP buffer, for
    ``flush_only``; the sender is connected and must be closed by the caller."""
    sender = Sender.from_conf(sender_conf(conf))
    sender.establish()  # type: ignore[no-untyped-call]  # the stub is untyped
    buffers = [
        _frames_buffer(sender, tables, ticks[start : start + batch])
        for start in range(0, len(ticks), batch)
    ]
    return sender, buffers


def _frames_buffer(sender: Any, tables: TickTables, ticks: list[Trade | Quote]) -> Any:
    """A new buffer of ``sender`` holding ``ticks`` as one frame per table."""
    trade_frame, quote_frame = direct_frames(ticks)
    buffer = sender.new_buffer()
    symbols = ["instrument", "venue"]
    buffer.dataframe(
        trade_frame, table_name=tables.trades, symbols=[*symbols, "aggressor"], at="ts"
    )
    buffer.dataframe(quote_frame, table_name=tables.quotes, symbols=symbols, at="ts")
    return buffer


def flush_only(sender: Any, buffers: list[Any]) -> None:
    """The server's side alone: each prepared buffer in one request, acknowledged."""
    for buffer in buffers:
        sender.flush(buffer)


@contextmanager
def clocks() -> Iterator[Callable[[], tuple[float, float]]]:
    """(wall, cpu) seconds of the block; cpu is this process's, every thread's."""
    wall, cpu = time.perf_counter(), time.process_time()
    end: list[tuple[float, float]] = []
    yield lambda: end[0]
    end.append((time.perf_counter() - wall, time.process_time() - cpu))


def run(rows: int, batch: int = DEFAULT_BATCH, conf: str | None = None) -> dict[str, Any]:
    conf = conf or conf_from_env() or DEFAULT_CONF
    endpoint = Endpoint.from_conf(conf)
    run_id = uuid.uuid4().hex[:8]
    row_api_tables = TickTables(f"bench_{run_id}_direct_")
    frame_tables = TickTables(f"bench_{run_id}_frames_")
    sink_tables = TickTables(f"bench_{run_id}_sink_")
    server_tables = TickTables(f"bench_{run_id}_server_")
    ticks = make_ticks(rows)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            journal = SqliteJournal(Path(tmp) / "journal.sqlite")
            with journal.transaction():
                journal.append_in_transaction([new_record(MD_TICKS, tick) for tick in ticks])

            with stopwatch() as read_elapsed:
                after = 0
                while chunk := journal.scan(after, (MD_TICKS,), batch):
                    after = chunk[-1][0]

            # Steady state on both sides: Arrow's kernels and pandas' frame machinery
            # initialise on first use (~0.15 s of CPU), which is not a per-row cost.
            read_batch(journal, 0, 1000)
            direct_frames(ticks[:1000])

            ensure_tables(endpoint, row_api_tables)
            with clocks() as row_api:
                write_direct_rows(conf, row_api_tables, ticks, batch)

            ensure_tables(endpoint, frame_tables)
            with clocks() as frames:
                write_direct_frames(conf, frame_tables, ticks, batch)

            ensure_tables(endpoint, server_tables)
            sender, buffers = encoded_batches(conf, server_tables, ticks, batch)
            try:
                with clocks() as server_only:
                    flush_only(sender, buffers)
            finally:
                sender.close()

            sink = TickSink(journal, conf, table_prefix=sink_tables.prefix, batch_size=batch)
            sink.ensure_tables()
            with clocks() as sunk:
                counters = sink.run_until_caught_up()
            sink.close()
            journal.close_now()
        assert counters.trades_written + counters.quotes_written == rows
        row_api_rate, frames_rate = rows / row_api()[0], rows / frames()[0]
        direct_rate = max(row_api_rate, frames_rate)
        sink_rate = rows / sunk()[0]
        return {
            "rows": rows,
            "batch": batch,
            "journal_scan_rows_per_s": rows / read_elapsed(),
            "direct_rows_per_s": direct_rate,
            "direct_row_api_rows_per_s": row_api_rate,
            "direct_dataframe_rows_per_s": frames_rate,
            "sink_rows_per_s": sink_rate,
            "sink_to_direct_ratio": sink_rate / direct_rate,
            "direct_row_api_cpu_us_per_row": row_api()[1] * 1e6 / rows,
            "direct_dataframe_cpu_us_per_row": frames()[1] * 1e6 / rows,
            "sink_cpu_us_per_row": sunk()[1] * 1e6 / rows,
            "server_ingest_rows_per_s": rows / server_only()[0],
            "target_sink_rows_per_s": 500_000,
            "server": str(endpoint.rows("SELECT build()")[0][0]),
        }
    finally:
        for tables in (row_api_tables, frame_tables, server_tables, sink_tables):
            for table in (tables.trades, tables.quotes):
                endpoint.exec(f"DROP TABLE IF EXISTS '{table}'")

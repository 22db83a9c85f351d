"""sink-ticks throughput against a real QuestDB, as a ratio to the bare client.

Both sides write the same rows into the same kind of tables (DECIMAL prices, dedup keys)
in batches of the same size, one flush per batch, and stop the clock when QuestDB has
acknowledged the last flush. The direct side starts from values already in memory; the
sink side reads them from the journal, decodes them and keeps its checkpoint. The ratio
is what stays comparable on a shared, noisy machine; rows/s is what the server allowed
that day. Needs `deploy/up questdb` (or $TAPELINE_QUESTDB).
"""

from __future__ import annotations

import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from questdb import Sender, TimestampNanos

from agents.sink_ticks import Endpoint, TickSink, TickTables, conf_from_env
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


def write_direct(conf: str, tables: TickTables, ticks: list[Trade | Quote], batch: int) -> None:
    """The bare client: the same rows from memory, one flush per batch."""
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


def run(rows: int, batch: int = DEFAULT_BATCH, conf: str | None = None) -> dict[str, Any]:
    conf = conf or conf_from_env() or DEFAULT_CONF
    endpoint = Endpoint.from_conf(conf)
    run_id = uuid.uuid4().hex[:8]
    direct_tables = TickTables(f"bench_{run_id}_direct_")
    sink_tables = TickTables(f"bench_{run_id}_sink_")
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

            ensure_tables(endpoint, direct_tables)
            with stopwatch() as direct_elapsed:
                write_direct(conf, direct_tables, ticks, batch)

            sink = TickSink(journal, conf, table_prefix=sink_tables.prefix, batch_size=batch)
            sink.ensure_tables()
            with stopwatch() as sink_elapsed:
                counters = sink.run_until_caught_up()
            sink.close()
            journal.close_now()
        assert counters.trades_written + counters.quotes_written == rows
        direct_rate = rows / direct_elapsed()
        sink_rate = rows / sink_elapsed()
        return {
            "rows": rows,
            "batch": batch,
            "journal_scan_rows_per_s": rows / read_elapsed(),
            "direct_rows_per_s": direct_rate,
            "sink_rows_per_s": sink_rate,
            "sink_to_direct_ratio": sink_rate / direct_rate,
            "target_sink_rows_per_s": 500_000,
            "server": str(endpoint.rows("SELECT build()")[0][0]),
        }
    finally:
        for tables in (direct_tables, sink_tables):
            for table in (tables.trades, tables.quotes):
                endpoint.exec(f"DROP TABLE IF EXISTS '{table}'")

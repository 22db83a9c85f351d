"""sink-ticks: canonical trades and quotes from ``md.ticks`` into QuestDB, idempotently.

A consumer with its own checkpoint, not a fold: it has no table in the journal, only a
position (the global journal seq it has sunk up to) in ``consumer_offsets``. Each batch
is read after the checkpoint, written into one ILP buffer, flushed in one HTTP request,
and only once QuestDB has acknowledged that request does the checkpoint move. So:

* a crash or an outage between flush and checkpoint resends the batch; QuestDB's dedup
  keys (tables.py) make the resend add nothing;
* QuestDB down: the flush fails, the checkpoint stays, ``run_until_caught_up`` backs off
  (bounded exponential) and resumes from the checkpoint; nothing is lost;
* a row QuestDB refuses (schema drift, a value its column cannot hold exactly) stops the
  sink at that batch with an error naming the table and column; it never skips it.

Counters count rows QuestDB acknowledged, resent rows included.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from questdb import QuestDBError, QuestDBErrorCode, Sender, TimestampNanos

from agents.sink_ticks.endpoint import (
    Endpoint,
    QuestDbUnavailable,
    conf_from_env,
    sender_conf,
)
from agents.sink_ticks.tables import TickTables, ensure_tables
from schemas import TapelineError
from streams.backoff import Backoff
from streams.codec import decode_payload
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS

if TYPE_CHECKING:
    from questdb._client import Buffer

CONSUMER = "sink-ticks"
DEFAULT_BATCH = 20_000
ScanRow = tuple[int, str, str, str, int, str]
"""``SqliteJournal.scan``: (seq, topic, kind, event_id, ts_event, payload)."""

# Failures that a retry cannot cure: the rows themselves are the problem.
_REFUSALS = frozenset(
    {
        QuestDBErrorCode.InvalidName,
        QuestDBErrorCode.InvalidUtf8,
        QuestDBErrorCode.InvalidTimestamp,
        QuestDBErrorCode.DecimalError,
        QuestDBErrorCode.ServerRejection,
        QuestDBErrorCode.ServerSchemaMismatch,
        QuestDBErrorCode.ServerParseError,
        QuestDBErrorCode.SchemaDrift,
    }
)
_WHERE = re.compile(r"table: ([^,;\s]+)(?:, column: ([^;\s]+))?")
_COLUMN_AFTER = re.compile(r"columns must be created manually: (\S+)")


class RowsRefusedError(TapelineError):
    """QuestDB refused rows of a batch; the sink stays before that batch."""

    def __init__(self, table: str | None, column: str | None, detail: str, first_seq: int) -> None:
        where = f"table {table!r}" if table else "a table"
        if column:
            where += f", column {column!r}"
        super().__init__(
            f"QuestDB refused rows for {where} (batch from journal seq {first_seq}): {detail}; "
            "the sink keeps its place: fix the table or the data, then run it again"
        )
        self.table = table
        self.column = column
        self.first_seq = first_seq


class SinkCounters(msgspec.Struct, kw_only=True):
    records_read: int = 0
    trades_written: int = 0
    quotes_written: int = 0
    skipped: int = 0
    """md.ticks records that are not ticks (``md_gap``): passed over, checkpoint moves."""
    batches: int = 0
    retries: int = 0
    refused: int = 0
    last_error: str | None = None


class TickSink:
    """Sinks ``md.ticks`` from a SQLite journal into QuestDB ``{prefix}trades``/``quotes``."""

    def __init__(
        self,
        journal: SqliteJournal,
        conf: str,
        *,
        table_prefix: str = "",
        batch_size: int = DEFAULT_BATCH,
        consumer: str = CONSUMER,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.journal = journal
        self.endpoint = Endpoint.from_conf(conf)
        self.tables = TickTables(table_prefix)
        self.batch_size = batch_size
        self.consumer = consumer
        self.backoff = backoff or Backoff()
        self.counters = SinkCounters()
        self._conf = sender_conf(conf)
        self._sleep = sleep
        self._sender: Sender | None = None
        self._tables_ready = False
        self._venues: dict[str, str] = {}

    # -- checkpoint ---------------------------------------------------------------------

    def checkpoint(self) -> int:
        """The last journal seq whose record QuestDB has acknowledged (0: none)."""
        return self.journal.sink_position(self.consumer, MD_TICKS)

    def _save_checkpoint(self, last_seq: int) -> None:
        self.journal.save_sink_position(self.consumer, MD_TICKS, last_seq)

    # -- running ------------------------------------------------------------------------

    def run_once(self, limit: int | None = None) -> int:
        """Sink the next batch; the number of journal records it consumed (0: caught up).

        Raises ``QuestDbUnavailable`` (retry later) or ``RowsRefusedError`` (fix first);
        either way the checkpoint has not moved.
        """
        try:
            return self._run_once(limit or self.batch_size)
        except QuestDbUnavailable as error:
            self.counters.last_error = str(error)
            self._drop_sender()
            raise
        except RowsRefusedError as error:
            self.counters.refused += 1
            self.counters.last_error = str(error)
            raise

    def run_until_caught_up(self) -> SinkCounters:
        """Run batches until the journal has no more ticks; back off while QuestDB is down."""
        self.backoff.run(self.run_once, QuestDbUnavailable, self._retried, self._sleep)
        return self.counters

    def _retried(self) -> None:
        self.counters.retries += 1

    def close(self) -> None:
        self._drop_sender()

    def ensure_tables(self) -> None:
        """Create (or check) both tables now; ``run_once`` does it on first use anyway."""
        ensure_tables(self.endpoint, self.tables)
        self._tables_ready = True

    def _run_once(self, limit: int) -> int:
        if not self._tables_ready:
            self.ensure_tables()
        records = self.journal.scan(self.checkpoint(), (MD_TICKS,), limit)
        if not records:
            return 0
        sender = self._connected()
        buffer = sender.new_buffer()
        trades, quotes = self._fill(buffer, records)
        try:
            sender.flush(buffer)
        except QuestDBError as error:
            raise self._classify(error, records[0][0]) from None
        self._save_checkpoint(records[-1][0])
        counters = self.counters
        counters.records_read += len(records)
        counters.trades_written += trades
        counters.quotes_written += quotes
        counters.skipped += len(records) - trades - quotes
        counters.batches += 1
        counters.last_error = None
        return len(records)

    def _fill(self, buffer: Buffer, records: list[ScanRow]) -> tuple[int, int]:
        """Every tick of ``records`` as one ILP row; (trades, quotes) added."""
        trades_table, quotes_table = self.tables.trades, self.tables.quotes
        venues = self._venues
        row = buffer.row
        trades = quotes = 0
        for seq, _topic, kind, _event_id, _ts_event, payload in records:
            try:
                if kind == "trade":
                    tick: Any = decode_payload(kind, payload)
                    instrument, side = tick.instrument, tick.aggressor
                    venue = venues.get(instrument) or venues.setdefault(
                        instrument, instrument.partition(":")[0]
                    )
                    row(
                        trades_table,
                        symbols={"instrument": instrument, "venue": venue, "aggressor": side},
                        columns={
                            "trade_id": tick.trade_id,
                            "price": tick.price,
                            "size": tick.size,
                            "ts_recv": TimestampNanos(tick.ts_recv),
                        },
                        at=TimestampNanos(tick.ts_event),
                    )
                    trades += 1
                elif kind == "quote":
                    tick = decode_payload(kind, payload)
                    instrument = tick.instrument
                    venue = venues.get(instrument) or venues.setdefault(
                        instrument, instrument.partition(":")[0]
                    )
                    row(
                        quotes_table,
                        symbols={"instrument": instrument, "venue": venue},
                        columns={
                            "bid": tick.bid,
                            "bid_size": tick.bid_size,
                            "ask": tick.ask,
                            "ask_size": tick.ask_size,
                            "ts_recv": TimestampNanos(tick.ts_recv),
                        },
                        at=TimestampNanos(tick.ts_event),
                    )
                    quotes += 1
            except QuestDBError as error:
                table = trades_table if kind == "trade" else quotes_table
                raise RowsRefusedError(table, None, f"{error} (seq {seq})", records[0][0]) from None
        return trades, quotes

    def _classify(self, error: QuestDBError, first_seq: int) -> TapelineError:
        message = str(error)
        refused = error.code in _REFUSALS or (
            error.code == QuestDBErrorCode.ServerFlushError and '"code":"invalid"' in message
        )
        if not refused:
            return QuestDbUnavailable(f"QuestDB at {self.endpoint.base_url}: {message}")
        table = column = None
        where = _WHERE.search(message)
        if where:
            table, column = where.group(1), where.group(2)
        if column is None and (late := _COLUMN_AFTER.search(message)):
            column = late.group(1)
        return RowsRefusedError(table, column, message, first_seq)

    def _connected(self) -> Sender:
        if self._sender is None:
            sender = Sender.from_conf(self._conf)
            try:
                sender.establish()  # type: ignore[no-untyped-call]  # the stub is untyped
            except QuestDBError as error:
                raise QuestDbUnavailable(
                    f"QuestDB at {self.endpoint.base_url} does not take ILP: {error}"
                ) from None
            self._sender = sender
        return self._sender

    def _drop_sender(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            with contextlib.suppress(QuestDBError):
                sender.close(flush=False)


def from_env(
    journal: SqliteJournal, environ: Mapping[str, str] | None = None, **options: Any
) -> TickSink | None:
    """The sink configured by ``$TAPELINE_QUESTDB``, or None when it is unset (sink off)."""
    conf = conf_from_env(environ) if environ is not None else conf_from_env()
    return None if conf is None else TickSink(journal, conf, **options)

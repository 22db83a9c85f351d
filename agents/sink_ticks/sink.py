"""sink-ticks: canonical trades and quotes from ``md.ticks`` into QuestDB, idempotently.

A consumer with its own checkpoint, not a fold: it has no table in the journal, only a
position (the global journal seq it has sunk up to) in ``consumer_offsets``. Each batch
is read after the checkpoint, turned into one column frame per table (columns.py),
written into one ILP buffer, flushed in one HTTP request, and only once QuestDB has
acknowledged that request does the checkpoint move. ``run_until_caught_up`` encodes and
flushes each batch on a worker thread (the client releases the GIL for both) and
reads and parses the next batch meanwhile; checkpoints still move batch by batch, in
journal order, each after its own acknowledgement. So:

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
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec
from questdb import QuestDBError, QuestDBErrorCode, Sender

from agents.sink_ticks.endpoint import (
    Endpoint,
    QuestDbUnavailable,
    conf_from_env,
    sender_conf,
)
from agents.sink_ticks.tables import QUOTE_SYMBOLS, TRADE_SYMBOLS, TickTables, ensure_tables
from schemas import TapelineError
from streams.backoff import Backoff
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS

if TYPE_CHECKING:
    from questdb._client import Buffer

    from agents.sink_ticks.columns import TickBatch

CONSUMER = "sink-ticks"
DEFAULT_BATCH = 20_000

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
        self._buffer: Buffer | None = None
        self._tables_ready = False
        self._in_flight: tuple[TickBatch, Future[None]] | None = None

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
        with self._recorded():
            batch = self._next_batch(self.checkpoint(), limit or self.batch_size)
            if batch is None:
                return 0
            self._connected()
            self._send(batch)
            self._acknowledged(batch)
            return batch.records

    def run_until_caught_up(self) -> SinkCounters:
        """Run batches until the journal has no more ticks; back off while QuestDB is down.

        While the worker encodes and flushes one batch, this thread reads and parses the
        next (``_pipelined_step``); SQLite, Arrow and the client each release the GIL.
        """
        with ThreadPoolExecutor(1, thread_name_prefix="sink-ticks-flush") as flusher:
            try:
                self.backoff.run(
                    lambda: self._pipelined_step(flusher),
                    QuestDbUnavailable,
                    self._retried,
                    self._sleep,
                )
            finally:
                self._in_flight = None  # a step that raised has landed or dropped it
        return self.counters

    def _pipelined_step(self, flusher: ThreadPoolExecutor) -> int:
        """Read the next batch while the previous one is encoded and flushed, land that
        one (its checkpoint), then hand this one over; the records landed (0: caught up).

        It returns only what QuestDB acknowledged, so that ``Backoff`` counts a step that
        only sent as a failure when the acknowledgement does not come. A failure of
        either half leaves the checkpoint after the last landed batch: the next step
        (after a backoff) starts from there, with nothing in flight.
        """
        with self._recorded():
            if self._in_flight is None:
                first = self._next_batch(self.checkpoint(), self.batch_size)
                if first is None:
                    return 0
                self._connected()
                self._in_flight = first, flusher.submit(self._send, first)
            (landing, acknowledgement), self._in_flight = self._in_flight, None
            try:
                batch = self._next_batch(landing.last_seq, self.batch_size)
            finally:
                acknowledgement.result()
                self._acknowledged(landing)
            if batch is not None:
                self._connected()
                self._in_flight = batch, flusher.submit(self._send, batch)
            return landing.records

    @contextlib.contextmanager
    def _recorded(self) -> Iterator[None]:
        """Count refusals and keep the last error; an outage drops the connection."""
        try:
            yield
        except QuestDbUnavailable as error:
            self.counters.last_error = str(error)
            self._drop_sender()
            raise
        except RowsRefusedError as error:
            self.counters.refused += 1
            self.counters.last_error = str(error)
            raise

    def _retried(self) -> None:
        self.counters.retries += 1

    def close(self) -> None:
        self._drop_sender()

    def ensure_tables(self) -> None:
        """Create (or check) both tables now; ``run_once`` does it on first use anyway."""
        ensure_tables(self.endpoint, self.tables)
        self._tables_ready = True

    def _next_batch(self, after_seq: int, limit: int) -> TickBatch | None:
        # Imported here: pandas and pyarrow take ~0.7 s to load, which every CLI command
        # importing the sink would pay even with the sink off.
        from agents.sink_ticks.columns import ValueRefusedError, read_batch

        if not self._tables_ready:
            self.ensure_tables()
        try:
            return read_batch(self.journal, after_seq, limit)
        except ValueRefusedError as error:
            table = self.tables.trades if error.kind == "trade" else self.tables.quotes
            raise RowsRefusedError(table, error.column, str(error), error.first_seq) from None

    def _send(self, batch: TickBatch) -> None:
        """The batch's frames in one buffer, flushed in one HTTP request. On the worker
        thread in ``run_until_caught_up``: one batch at a time, so one buffer serves."""
        sender, buffer = self._sender, self._buffer
        assert sender is not None, "connect before sending"
        assert buffer is not None, "connect before sending"
        buffer.clear()  # type: ignore[no-untyped-call]  # the stub is untyped
        for table, frame, symbols in (
            (self.tables.trades, batch.trades, TRADE_SYMBOLS),
            (self.tables.quotes, batch.quotes, QUOTE_SYMBOLS),
        ):
            if frame is not None:
                try:
                    buffer.dataframe(frame, table_name=table, symbols=symbols, at="ts")
                except QuestDBError as error:
                    raise RowsRefusedError(table, None, str(error), batch.first_seq) from None
        try:
            sender.flush(buffer)
        except QuestDBError as error:
            raise self._classify(error, batch.first_seq) from None

    def _acknowledged(self, batch: TickBatch) -> None:
        self._save_checkpoint(batch.last_seq)
        counters = self.counters
        counters.records_read += batch.records
        counters.trades_written += batch.trade_rows
        counters.quotes_written += batch.quote_rows
        counters.skipped += batch.records - batch.trade_rows - batch.quote_rows
        counters.batches += 1
        counters.last_error = None

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
            self._buffer = sender.new_buffer()
        return self._sender

    def _drop_sender(self) -> None:
        sender, self._sender = self._sender, None
        self._buffer = None
        if sender is not None:
            with contextlib.suppress(QuestDBError):
                sender.close(flush=False)


def from_env(
    journal: SqliteJournal, environ: Mapping[str, str] | None = None, **options: Any
) -> TickSink | None:
    """The sink configured by ``$TAPELINE_QUESTDB``, or None when it is unset (sink off)."""
    conf = conf_from_env(environ) if environ is not None else conf_from_env()
    return None if conf is None else TickSink(journal, conf, **options)

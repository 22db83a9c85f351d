"""One batch of ``md.ticks`` journal records as two column-oriented frames, one per table.

Why columns and not rows: decoding each payload to a struct, making a ``Decimal`` per
price and calling ``Buffer.row`` once per tick cost about 2 us a tick, all of it Python.
Here SQLite hands back each kind's payloads already joined into one newline-delimited
JSON document, Arrow's JSON reader parses it in C++ against a fixed schema (an unknown or
missing field is an error, as in the journal's own decoder), the decimal strings are cast
to ``decimal128(38, 18)`` (the tables' exact column type) by Arrow, and the questdb
client serializes the frame's Arrow columns without the GIL, while the previous batch's
HTTP request is still in flight (see sink.py).

Exactness: the cast from the payload's decimal string is exact or fails ("would cause
data loss", "does not fit in precision"); it never rounds. A failing value stops the sink
at its batch with ``RowsRefusedError`` naming table, column and journal seq, exactly
where QuestDB itself would have refused it. A payload Arrow cannot parse (or that lacks
a field) is looked up record by record through the journal's own decoder, which names it
(``CorruptRecordError``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no stubs
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]  # no stubs
import pyarrow.json as pa_json  # type: ignore[import-untyped, unused-ignore]  # no stubs

from agents.sink_ticks.tables import DECIMAL_PRECISION, DECIMAL_SCALE
from schemas import Quote, TapelineError, Trade
from streams.codec import decode_payload
from streams.errors import CorruptRecordError
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS

DECIMAL_TYPE = pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
TIMESTAMP_TYPE = pa.timestamp("ns")

TRADE_JSON = pa.schema(
    [
        ("kind", pa.string()),
        ("ts_event", pa.int64()),
        ("instrument", pa.string()),
        ("trade_id", pa.string()),
        ("price", pa.string()),
        ("size", pa.string()),
        ("aggressor", pa.string()),
        ("ts_recv", pa.int64()),
    ]
)
"""A trade payload as Arrow reads it: every field of ``schemas.Trade``, decimals as text."""

QUOTE_JSON = pa.schema(
    [
        ("kind", pa.string()),
        ("ts_event", pa.int64()),
        ("instrument", pa.string()),
        ("bid", pa.string()),
        ("bid_size", pa.string()),
        ("ask", pa.string()),
        ("ask_size", pa.string()),
        ("ts_recv", pa.int64()),
    ]
)
"""A quote payload as Arrow reads it: every field of ``schemas.Quote``."""

JSON_SCHEMAS = {Trade.KIND: TRADE_JSON, Quote.KIND: QUOTE_JSON}
TRADE_DECIMALS = ("price", "size")
QUOTE_DECIMALS = ("bid", "bid_size", "ask", "ask_size")

_READ = pa_json.ReadOptions(use_threads=True, block_size=1 << 20)
_PARSE = {
    kind: pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    for kind, schema in JSON_SCHEMAS.items()
}


class ValueRefusedError(TapelineError):
    """A tick value the table's column cannot hold exactly (sink.py names the table)."""

    def __init__(self, kind: str, column: str, seq: int, first_seq: int, detail: str) -> None:
        super().__init__(f"{kind} {column} of journal seq {seq}: loss of precision: {detail}")
        self.kind = kind
        self.column = column
        self.seq = seq
        self.first_seq = first_seq


@dataclass(frozen=True)
class TickBatch:
    """Up to ``limit`` consecutive md.ticks records, ready for ``Buffer.dataframe``."""

    first_seq: int
    last_seq: int
    records: int
    trades: pd.DataFrame | None
    quotes: pd.DataFrame | None

    @property
    def trade_rows(self) -> int:
        return 0 if self.trades is None else len(self.trades)

    @property
    def quote_rows(self) -> int:
        return 0 if self.quotes is None else len(self.quotes)


_BATCH_SQL = """
SELECT count(*), min(seq), max(seq), sum(kind = 'trade'), sum(kind = 'quote'),
    CAST(group_concat(CASE WHEN kind = 'trade' THEN payload END, char(10)) AS BLOB),
    CAST(group_concat(CASE WHEN kind = 'quote' THEN payload END, char(10)) AS BLOB)
FROM (SELECT seq, kind, payload FROM journal WHERE seq > ? AND +topic = ? ORDER BY seq LIMIT ?)
"""
"""One pass over the next ``limit`` md.ticks records, one row back: the count, the seq
range and each kind's payloads joined by newlines, in seq order (the subquery runs as a
co-routine over the rowid range, and ``group_concat`` takes rows as they come, skipping
the NULLs of the other kinds). No Python object per record: fetching 20,000 (seq, kind,
payload) rows and joining them again cost more than Arrow's whole parse."""


def read_batch(journal: SqliteJournal, after_seq: int, limit: int) -> TickBatch | None:
    """The next batch after ``after_seq``; None when the journal has no more md.ticks."""
    row = journal.db.execute(_BATCH_SQL, (after_seq, MD_TICKS, limit)).fetchone()
    count, first_seq, last_seq, trade_count, quote_count, trades, quotes = row
    if not count:
        return None
    context = _Context(journal, after_seq, limit, first_seq)
    return TickBatch(
        first_seq=first_seq,
        last_seq=last_seq,
        records=count,
        trades=_trade_frame(_parsed("trade", trades, trade_count, context), context)
        if trade_count
        else None,
        quotes=_quote_frame(_parsed("quote", quotes, quote_count, context), context)
        if quote_count
        else None,
    )


@dataclass(frozen=True)
class _Context:
    """Where a batch came from, to find the one record behind an error (error path only)."""

    journal: SqliteJournal
    after_seq: int
    limit: int
    first_seq: int

    def records(self, kind: str) -> list[tuple[int, str]]:
        """(seq, payload) of the batch's records of ``kind``, in order."""
        rows: list[tuple[int, str]] = self.journal.db.execute(
            "SELECT seq, payload FROM (SELECT seq, kind, payload FROM journal "
            "WHERE seq > ? AND +topic = ? ORDER BY seq LIMIT ?) WHERE kind = ?",
            (self.after_seq, MD_TICKS, self.limit, kind),
        ).fetchall()
        return rows


def _parsed(kind: str, document: bytes, rows: int, context: _Context) -> pa.Table:
    """``rows`` payloads of ``kind`` as one Arrow table; a blank or split payload (a row
    count that does not match) or a missing field is corrupt."""
    try:
        table = pa_json.read_json(
            io.BytesIO(document), read_options=_READ, parse_options=_PARSE[kind]
        )
    except pa.ArrowInvalid as error:
        raise _corrupt(kind, context, str(error)) from None
    if table.num_rows != rows or any(column.null_count for column in table.columns):
        raise _corrupt(kind, context, f"{table.num_rows} rows for {rows} payloads, or a gap")
    return table


def _corrupt(kind: str, context: _Context, detail: str) -> CorruptRecordError:
    """Name the first record of ``kind`` that the journal's decoder refuses too."""
    for seq, payload in context.records(kind):
        try:
            decode_payload(kind, payload)
        except CorruptRecordError as error:
            return CorruptRecordError(f"md.ticks journal seq {seq}: {error}")
    return CorruptRecordError(f"md.ticks {kind} payloads do not parse as columns: {detail}")


def _exact(table: pa.Table, column: str, kind: str, context: _Context) -> pa.Array:
    """The decimal strings of ``column`` as decimal128(38, 18), or the first that won't fit."""
    text = table[column]
    try:
        return text.cast(DECIMAL_TYPE)
    except pa.ArrowInvalid as error:
        seqs = [seq for seq, _ in context.records(kind)]
        for index, value in enumerate(text.to_pylist()):
            try:
                pa.array([value]).cast(DECIMAL_TYPE)
            except pa.ArrowInvalid:
                detail = f"{value} does not fit {DECIMAL_TYPE} ({error})"
                raise ValueRefusedError(
                    kind, column, seqs[index], context.first_seq, detail
                ) from None
        raise


def _venue(instrument: pa.ChunkedArray) -> pa.ChunkedArray:
    """``venue:symbol`` -> ``venue`` (the whole id when it has no colon)."""
    return pc.list_element(pc.split_pattern(instrument, ":", max_splits=1), 0)


def _frame(columns: dict[str, pa.ChunkedArray | pa.Array]) -> pd.DataFrame:
    frame: pd.DataFrame = pa.table(columns).to_pandas(types_mapper=pd.ArrowDtype)
    return frame


def _trade_frame(table: pa.Table, context: _Context) -> pd.DataFrame:
    instrument = table["instrument"]
    return _frame(
        {
            "instrument": instrument,
            "venue": _venue(instrument),
            "trade_id": table["trade_id"],
            **{name: _exact(table, name, "trade", context) for name in TRADE_DECIMALS},
            "aggressor": table["aggressor"],
            "ts_recv": table["ts_recv"].cast(TIMESTAMP_TYPE),
            "ts": table["ts_event"].cast(TIMESTAMP_TYPE),
        }
    )


def _quote_frame(table: pa.Table, context: _Context) -> pd.DataFrame:
    instrument = table["instrument"]
    return _frame(
        {
            "instrument": instrument,
            "venue": _venue(instrument),
            **{name: _exact(table, name, "quote", context) for name in QUOTE_DECIMALS},
            "ts_recv": table["ts_recv"].cast(TIMESTAMP_TYPE),
            "ts": table["ts_event"].cast(TIMESTAMP_TYPE),
        }
    )

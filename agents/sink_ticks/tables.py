"""The QuestDB tables the tick sink writes, created up front and checked for drift.

Decisions (why the columns are what they are):

* Prices and sizes are ``DECIMAL(38, 18)``: QuestDB >= 9.2 takes exact decimals over ILP,
  so no binary float ever holds money. Magnitudes are below 1e15 (``MAX_ABS_DECIMAL``) and
  18 fractional digits hold any venue tick or lot. The sink sends them as Arrow
  ``decimal128(38, 18)`` cast exactly from the payload's text: a value that needs more
  digits is refused before it is sent ("loss of precision"), never rounded, and the sink
  stops on it (columns.py, sink.py); QuestDB would refuse it the same way.
* The designated timestamp ``ts`` is ``ts_event`` as ``TIMESTAMP_NS`` (exact ns, no
  truncation to micros); ``ts_recv`` is kept beside it.
* ``instrument`` and ``venue`` are SYMBOLs (few distinct values, filtered on);
  ``trade_id`` is VARCHAR (unbounded distinct values).
* Deduplication makes a replay or redelivery add nothing: trades are unique by
  ``(ts, instrument, trade_id)``. Quotes are keyed ``(ts, instrument, ts_recv)``, not
  ``(ts, instrument)``: venues send several book updates in one millisecond (416 of the
  9,999 quotes of the shared Binance session share their ts_event with another), and a
  key without ``ts_recv`` would silently keep only the last of them. A redelivered quote
  carries the same recorded ``ts_recv``, so it still deduplicates.
* WAL tables (dedup needs WAL), partitioned by day.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.sink_ticks.endpoint import Endpoint, QuestDbSqlError
from schemas import TapelineError

DECIMAL_PRECISION, DECIMAL_SCALE = 38, 18
DECIMAL = f"DECIMAL({DECIMAL_PRECISION},{DECIMAL_SCALE})"

TRADE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("instrument", "SYMBOL"),
    ("venue", "SYMBOL"),
    ("trade_id", "VARCHAR"),
    ("price", DECIMAL),
    ("size", DECIMAL),
    ("aggressor", "SYMBOL"),
    ("ts_recv", "TIMESTAMP_NS"),
    ("ts", "TIMESTAMP_NS"),
)
TRADE_KEYS = ("ts", "instrument", "trade_id")

QUOTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("instrument", "SYMBOL"),
    ("venue", "SYMBOL"),
    ("bid", DECIMAL),
    ("bid_size", DECIMAL),
    ("ask", DECIMAL),
    ("ask_size", DECIMAL),
    ("ts_recv", "TIMESTAMP_NS"),
    ("ts", "TIMESTAMP_NS"),
)
QUOTE_KEYS = ("ts", "instrument", "ts_recv")
TRADE_SYMBOLS = [name for name, kind in TRADE_COLUMNS if kind == "SYMBOL"]
QUOTE_SYMBOLS = [name for name, kind in QUOTE_COLUMNS if kind == "SYMBOL"]


class SchemaDriftError(TapelineError):
    """An existing table does not have the columns the sink writes; names table and column."""

    def __init__(self, table: str, column: str, problem: str) -> None:
        super().__init__(f"QuestDB table {table!r}, column {column!r}: {problem}")
        self.table = table
        self.column = column


@dataclass(frozen=True)
class TickTables:
    """The two table names; ``prefix`` keeps runs (and tests) apart on one server."""

    prefix: str = ""

    @property
    def trades(self) -> str:
        return f"{self.prefix}trades"

    @property
    def quotes(self) -> str:
        return f"{self.prefix}quotes"

    def specs(self) -> tuple[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]], ...]:
        return ((self.trades, TRADE_COLUMNS, TRADE_KEYS), (self.quotes, QUOTE_COLUMNS, QUOTE_KEYS))


def create_sql(table: str, columns: tuple[tuple[str, str], ...], keys: tuple[str, ...]) -> str:
    body = ", ".join(f"{name} {kind}" for name, kind in columns)
    return (
        f"CREATE TABLE IF NOT EXISTS '{table}' ({body}) TIMESTAMP(ts) PARTITION BY DAY WAL "
        f"DEDUP UPSERT KEYS({', '.join(keys)})"
    )


def ensure_tables(endpoint: Endpoint, tables: TickTables) -> None:
    """Create both tables if missing, then check every column and dedup key is as written.

    A table made by someone else (an older build, a hand-made one) that lacks a column,
    has another type or misses a dedup key would make ILP refuse rows or, worse, accept
    duplicates; better to say so by name before the first row.
    """
    for table, columns, keys in tables.specs():
        endpoint.exec(create_sql(table, columns, keys))
        check_table(endpoint, table, columns, keys)


def check_table(
    endpoint: Endpoint, table: str, columns: tuple[tuple[str, str], ...], keys: tuple[str, ...]
) -> None:
    try:
        found = {
            str(row[0]): (str(row[1]), bool(row[7]), bool(row[8]))
            for row in endpoint.rows(f"SELECT * FROM table_columns('{table}')")  # noqa: S608
        }
    except QuestDbSqlError as error:
        raise SchemaDriftError(table, "*", str(error)) from None
    for name, kind in columns:
        if name not in found:
            raise SchemaDriftError(table, name, f"missing (want {kind})")
        actual, designated, upsert_key = found[name]
        if actual != kind:
            raise SchemaDriftError(table, name, f"is {actual}, the sink writes {kind}")
        if name == "ts" and not designated:
            raise SchemaDriftError(table, name, "is not the designated timestamp")
        if name in keys and not upsert_key:
            raise SchemaDriftError(
                table, name, f"is not a dedup upsert key (want KEYS({', '.join(keys)}))"
            )

"""ClickHouse SQL over the SQLite journal, in-process (chDB), with no copy of the log.

chDB reads the journal file through its ``sqlite()`` table function. It opens the file
itself and does not read SQLite's write-ahead log, so it sees only what SQLite has
checkpointed into the main file. ``AuditDb.open`` therefore checkpoints the WAL first,
fixes the log's end (``end_seq``) and bounds every view to ``seq <= end_seq``: all the
queries of one audit read the same snapshot even while a writer keeps appending, and a
checkpoint that could not complete (a reader pinned the WAL) is caught, not answered
from a stale file.

Never let chDB open the journal while this process holds a ``sqlite3`` connection to
it (measured with chDB 4.4): chDB links its own SQLite, POSIX locks are per process, so
chDB's SQLite believes it is the only connection, checkpoints and deletes the WAL and
its shared memory on close, and the other connection's later commits go to a deleted
file (lost; a fresh connection then reports a disk I/O error). So ``AuditDb.open`` takes
a path, does its checkpoint on a short-lived connection it closes first, and callers
that replay (positions) close their journal before the SQL phase. Another *process*
holding the journal is safe: the locks then work, and chDB reads the WAL as a reader.

Views (ClickHouse SQL, created in a throwaway in-memory chDB session):

* ``events``: every journal column; ``ts_event``/``ts_ingest`` as ``DateTime64(9, 'UTC')``
  (the integer ns stay in ``ts_event_ns``/``ts_ingest_ns``), ``payload`` the JSON text,
  ``hash`` hex.
* ``commands`` (``orders.commands``), ``risk_decisions``, ``orders`` (``orders.events``):
  payload fields extracted with ``JSONExtract*``; quantities and prices of requests are
  kept as their exact decimal text (a request may carry any precision, risk rejects it).
* ``fills``: fill records with ``qty``/``price``/``fee`` as ``Decimal(76, 18)``, parsed
  from the JSON strings (never through Float64); ``counted`` is False for a repeated
  event id, which the positions fold ignores.
* ``ticks``: trades and quotes, prices and sizes ``Decimal(76, 18)`` (NULL where the kind
  has no such field).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from schemas import TapelineError

VIEW_NAMES = ("events", "commands", "risk_decisions", "orders", "fills", "ticks")
ORDER_TOPICS = ("orders.commands", "orders.events", "risk.decisions", "exec.reports")


class AuditError(TapelineError):
    """An audit question that cannot be answered as asked (unknown id, bad bound)."""


class StaleJournalError(AuditError):
    """chDB would answer from a main file that lacks records still in SQLite's WAL."""


def sql_string(text: str) -> str:
    """A ClickHouse string literal (backslash escapes, as ClickHouse reads them)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def param_text(value: Any) -> str:
    """A query parameter as ClickHouse parses it: escaped text; arrays as literals."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_string(str(item)) for item in value) + "]"
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        text = text.replace(raw, escaped)
    return text


def journal_source(path: Path) -> str:
    return f"sqlite({sql_string(str(path))}, 'journal')"


def _s(field: str) -> str:
    return f"JSONExtractString(payload, '{field}')"


def _opt(field: str) -> str:
    return f"nullIf({_s(field)}, '')"


def _dec(field: str) -> str:
    return f"toDecimal256({_s(field)}, 18)"


def _dec_or_null(field: str) -> str:
    return f"toDecimal256OrNull({_s(field)}, 18)"


_STATUS = (
    "multiIf(kind = 'order_accepted', 'New', kind = 'order_rejected', 'Rejected', "
    "kind = 'order_partially_filled', 'PartiallyFilled', kind = 'order_filled', 'Filled', "
    "kind = 'order_canceled', 'Canceled', kind = 'order_replaced', 'Replaced', "
    "kind = 'order_expired', 'Expired', kind = 'order_cancel_rejected', 'CancelRejected', "
    "kind = 'order_replace_rejected', 'ReplaceRejected', NULL)"
)
_ENVELOPE = "seq, event_id, causation_id, correlation_id, ts_event, ts_event_ns"


def view_statements(source: str, end_seq: int) -> list[str]:
    """``CREATE VIEW`` text for every view over ``source`` up to ``end_seq``."""
    events = (
        "CREATE VIEW events AS SELECT assumeNotNull(seq) AS seq, topic, partition, offset, "  # noqa: S608
        "key, kind, schema_version, event_id, "
        "fromUnixTimestamp64Nano(j.ts_event, 'UTC') AS ts_event, j.ts_event AS ts_event_ns, "
        "fromUnixTimestamp64Nano(j.ts_ingest, 'UTC') AS ts_ingest, j.ts_ingest AS ts_ingest_ns, "
        "causation_id, correlation_id, payload, hex(hash) AS hash "
        f"FROM {source} AS j WHERE j.seq <= {int(end_seq)}"
    )
    commands = (
        f"CREATE VIEW commands AS SELECT {_ENVELOPE}, kind, key AS account, "  # noqa: S608
        f"{_opt('cl_ord_id')} AS cl_ord_id, {_opt('orig_cl_ord_id')} AS orig_cl_ord_id, "
        f"{_opt('instrument')} AS instrument, {_opt('side')} AS side, "
        f"{_opt('order_type')} AS order_type, {_opt('qty')} AS qty, "
        f"{_opt('limit_price')} AS limit_price, {_opt('tif')} AS tif, payload "
        "FROM events WHERE topic = 'orders.commands'"
    )
    risk = (
        f"CREATE VIEW risk_decisions AS SELECT {_ENVELOPE}, key AS account, "  # noqa: S608
        f"{_s('cl_ord_id')} AS cl_ord_id, JSONExtractBool(payload, 'approved') AS approved, "
        f"{_opt('rule')} AS rule, {_opt('limit')} AS limit, {_opt('observed')} AS observed, "
        f"{_s('reason')} AS reason, payload FROM events WHERE topic = 'risk.decisions'"
    )
    orders = (
        f"CREATE VIEW orders AS SELECT {_ENVELOPE}, kind, key AS account, "  # noqa: S608
        f"{_s('cl_ord_id')} AS cl_ord_id, {_opt('orig_cl_ord_id')} AS orig_cl_ord_id, "
        f"{_opt('cancel_cl_ord_id')} AS cancel_cl_ord_id, {_opt('order_id')} AS order_id, "
        f"{_opt('instrument')} AS instrument, {_opt('side')} AS side, "
        f"{_opt('order_type')} AS order_type, {_opt('qty')} AS qty, "
        f"{_opt('limit_price')} AS limit_price, {_opt('exec_id')} AS exec_id, "
        f"{_opt('last_qty')} AS last_qty, {_opt('last_px')} AS last_px, "
        f"{_opt('cum_qty')} AS cum_qty, {_opt('leaves_qty')} AS leaves_qty, "
        f"{_opt('avg_px')} AS avg_px, {_STATUS} AS status, {_opt('reason')} AS reason, "
        f"{_opt('rule')} AS rule, payload FROM events WHERE topic = 'orders.events'"
    )
    fills = (
        f"CREATE VIEW fills AS SELECT {_ENVELOPE}, "  # noqa: S608
        "row_number() OVER (PARTITION BY event_id ORDER BY seq) = 1 AS counted, "
        f"{_s('exec_id')} AS exec_id, {_s('account')} AS account, "
        f"{_s('instrument')} AS instrument, {_s('side')} AS side, {_dec('qty')} AS qty, "
        f"{_dec('price')} AS price, {_dec('fee')} AS fee, {_s('fee_currency')} AS fee_currency, "
        f"{_opt('cl_ord_id')} AS cl_ord_id, {_opt('liquidity')} AS liquidity, payload "
        "FROM events WHERE topic = 'exec.reports' AND kind = 'fill'"
    )
    ticks = (
        f"CREATE VIEW ticks AS SELECT {_ENVELOPE}, kind, {_s('instrument')} AS instrument, "  # noqa: S608
        f"{_opt('trade_id')} AS trade_id, {_dec_or_null('price')} AS price, "
        f"{_dec_or_null('size')} AS size, {_opt('aggressor')} AS aggressor, "
        f"{_dec_or_null('bid')} AS bid, {_dec_or_null('bid_size')} AS bid_size, "
        f"{_dec_or_null('ask')} AS ask, {_dec_or_null('ask_size')} AS ask_size, "
        "fromUnixTimestamp64Nano(JSONExtractInt(payload, 'ts_recv'), 'UTC') AS ts_recv, payload "
        "FROM events WHERE topic = 'md.ticks' AND kind IN ('trade', 'quote')"
    )
    return [events, commands, risk, orders, fills, ticks]


def first_line(error: BaseException) -> str:
    """ClickHouse's message without the stack, the version or the repeated code."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = text.split(" (version ")[0]
    return text.removeprefix("Code: ").strip()


def snapshot(path: Path) -> tuple[int, dict[str, int]]:
    """Checkpoint the WAL into the main file on a connection closed before returning;
    the last seq and the partition count of every topic."""
    if not path.exists():
        raise AuditError(f"no journal at {path}; run `tapeline run` first (or pass --data-dir)")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        end_seq = int(db.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])
        partitions = {str(t): int(n) for t, n in db.execute("SELECT topic, partitions FROM topics")}
    except sqlite3.Error as error:
        raise AuditError(f"cannot read the journal {path}: {error}") from None
    finally:
        db.close()
    return end_seq, partitions


class AuditDb:
    """One in-memory chDB session with the views over one journal snapshot."""

    def __init__(self, path: Path, end_seq: int, partitions: Mapping[str, int]) -> None:
        self.path = path
        self.end_seq = end_seq
        self.partitions = dict(partitions)
        self.source = journal_source(path)
        # Imported here: chDB takes about 0.6 s to import, and `audit order` never needs it.
        from chdb import session as chdb_session

        self._session: Any = chdb_session.Session()  # type: ignore[no-untyped-call]
        self.run("SET output_format_json_quote_decimals = 1")
        self.run("SET output_format_json_quote_64bit_integers = 0")
        for statement in view_statements(self.source, end_seq):
            self.run(statement)

    @classmethod
    def open(cls, path: Path) -> AuditDb:
        """Checkpoint the WAL, fix the snapshot, and check chDB really sees its end."""
        end_seq, partitions = snapshot(path)
        db = cls(path, end_seq, partitions)
        if end_seq and not db.rows(
            f"SELECT seq FROM {db.source} WHERE seq >= {{end:Int64}} LIMIT 1",  # noqa: S608
            end=end_seq,
        ):
            db.close()
            raise StaleJournalError(
                f"the journal's last records (up to seq {end_seq}) are still in SQLite's WAL "
                "and could not be checkpointed (another process holds it); retry the audit"
            )
        return db

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AuditDb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, sql: str, **params: Any) -> str:
        """Run one statement; a ClickHouse error becomes a one-line ``AuditError``."""
        try:
            encoded = {name: param_text(value) for name, value in params.items()}
            result = self._session.query(sql, "JSON", params=encoded or None)
        except Exception as error:  # chDB raises its own RuntimeError subclasses
            raise AuditError(f"ClickHouse: {first_line(error)}") from None
        return str(result)

    def table(self, sql: str, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
        """Column names and rows; decimals come back as ``Decimal`` (quoted in JSON)."""
        text = self.run(sql, **params)
        if not text.strip():
            return [], []
        document = json.loads(text, parse_float=Decimal)
        names = [column["name"] for column in document["meta"]]
        return names, list(document["data"])

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return self.table(sql, **params)[1]

"""sink-alt: ``alt.raw`` points into a ClickHouse table ``alt_points``, idempotently.

Where: a ClickHouse server through clickhouse-connect when ``$TAPELINE_CLICKHOUSE_URL``
names one (``http://user:pass@host:8123/db``), otherwise chDB (ClickHouse in-process)
with a persistent session under the data dir (``DATA_DIR/chdb``). Both run the very
same SQL text (``create_table_sql``, ``insert_sql``, ``points_sql``), so testing one
tests the statements of the other. The tests run against chDB: no ClickHouse server
can be installed on the build machines; the server path is covered by the shared SQL
and by a test that an unreachable URL fails with a clear error.

Idempotent: ``alt_points`` is a ReplacingMergeTree ordered by (source, metric,
subject, ts), versioned by the journal seq, and every read uses ``FINAL``; so a batch
written twice (a crash between the write and the checkpoint, a reset checkpoint, a
replay) leaves one row per point, and a later correction of the same point wins. The
checkpoint (consumer ``sink-alt`` in the journal's ``consumer_offsets``, holding the
global seq) moves only after the write succeeded.

Values are ``Decimal(38, 18)``; a value that does not fit exactly stops the sink with an
error naming the record rather than being rounded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from agents.audit.db import first_line, sql_string
from schemas import TapelineError
from streams.codec import decode_payload
from streams.records import LogRecord
from streams.sqlite_journal import SqliteJournal
from streams.topics import ALT_RAW

CONSUMER = "sink-alt"
ENV_VAR = "TAPELINE_CLICKHOUSE_URL"
CHDB_DIR = "chdb"
TABLE = "alt_points"
DEFAULT_BATCH = 10_000
SCALE = 18
MAX_DIGITS = 38


class AltSinkError(TapelineError):
    pass


def create_table_sql(table: str = TABLE) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (source String, metric String, subject String, "
        "value Decimal(38, 18), ts_event Int64, "
        "ts DateTime64(9, 'UTC') DEFAULT fromUnixTimestamp64Nano(ts_event, 'UTC'), "
        "event_id String, seq UInt64) ENGINE = ReplacingMergeTree(seq) "
        "ORDER BY (source, metric, subject, ts)"
    )


def exact_value(value: Decimal, seq: int) -> str:
    """The value's text if Decimal(38, 18) holds it exactly; else an error."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise AltSinkError(f"alt.raw seq {seq}: value {value} is not a finite number")
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if places > SCALE or whole > MAX_DIGITS - SCALE:
        raise AltSinkError(
            f"alt.raw seq {seq}: value {value} does not fit Decimal(38, 18) exactly; "
            "the sink stops here rather than round it"
        )
    return format(value, "f")


def insert_sql(rows: Sequence[Mapping[str, Any]], table: str = TABLE) -> str:
    """One INSERT with literal values: strings quoted, the decimal as its exact text
    (ClickHouse parses a quoted value straight into the Decimal column, no float)."""
    values = ", ".join(
        f"({sql_string(row['source'])}, {sql_string(row['metric'])}, "
        f"{sql_string(row['subject'])}, {sql_string(row['value'])}, {int(row['ts_event'])}, "
        f"{sql_string(row['event_id'])}, {int(row['seq'])})"
        for row in rows
    )
    return (
        f"INSERT INTO {table} (source, metric, subject, value, ts_event, event_id, seq) "  # noqa: S608
        f"VALUES {values}"
    )


def points_sql(table: str = TABLE) -> str:
    return (
        "SELECT source, metric, subject, toString(value) AS value, ts_event, seq "  # noqa: S608
        f"FROM {table} FINAL ORDER BY source, metric, subject, ts"
    )


class Target(Protocol):
    where: str

    def command(self, sql: str) -> None: ...

    def rows(self, sql: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


class ChdbTarget:
    """chDB with a persistent session directory (one process at a time holds it)."""

    def __init__(self, path: Path) -> None:
        from chdb import session as chdb_session

        path.mkdir(parents=True, exist_ok=True)
        self.where = f"chDB at {path}"
        self._session: Any = chdb_session.Session(str(path))  # type: ignore[no-untyped-call]

    def command(self, sql: str) -> None:
        self._run(sql, "CSV")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        import json

        text = self._run(sql, "JSON")
        return list(json.loads(text)["data"]) if text.strip() else []

    def _run(self, sql: str, fmt: str) -> str:
        try:
            return str(self._session.query(sql, fmt))
        except Exception as error:  # chDB raises RuntimeError subclasses
            raise AltSinkError(f"{self.where}: {first_line(error)}") from None

    def close(self) -> None:
        self._session.close()


class ClickHouseTarget:
    """A ClickHouse server through clickhouse-connect (HTTP)."""

    def __init__(self, url: str) -> None:
        import clickhouse_connect

        self.where = "ClickHouse at " + url.split("@")[-1]
        try:
            self._client: Any = clickhouse_connect.get_client(dsn=url, connect_timeout=5)
        except Exception as error:  # connection refused, bad credentials, bad URL
            raise AltSinkError(f"{self.where} does not answer: {first_line(error)}") from None

    def command(self, sql: str) -> None:
        try:
            self._client.command(sql)
        except Exception as error:
            raise AltSinkError(f"{self.where}: {first_line(error)}") from None

    def rows(self, sql: str) -> list[dict[str, Any]]:
        try:
            result = self._client.query(sql)
        except Exception as error:
            raise AltSinkError(f"{self.where}: {first_line(error)}") from None
        names = list(result.column_names)
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def close(self) -> None:
        self._client.close()


def target_from_env(data_dir: Path, environ: Mapping[str, str] = os.environ) -> Target:
    url = environ.get(ENV_VAR, "").strip()
    if url:
        return ClickHouseTarget(url)
    return ChdbTarget(data_dir / CHDB_DIR)


@dataclass
class AltCounters:
    records_read: int = 0
    points_written: int = 0
    batches: int = 0


class AltSink:
    """Sinks ``alt.raw`` of a journal into ``target``'s ``alt_points``."""

    def __init__(
        self,
        journal: SqliteJournal,
        target: Target,
        *,
        batch_size: int = DEFAULT_BATCH,
        consumer: str = CONSUMER,
    ) -> None:
        self.journal = journal
        self.target = target
        self.batch_size = batch_size
        self.consumer = consumer
        self.counters = AltCounters()
        self._ready = False

    def position(self) -> int:
        return self.journal.sink_position(self.consumer, ALT_RAW)

    def _checkpoint(self, last_seq: int) -> None:
        self.journal.save_sink_position(self.consumer, ALT_RAW, last_seq)

    def reset(self) -> None:
        """Forget the position: the next run sends everything again (and adds nothing)."""
        self.journal.db.execute(
            "DELETE FROM consumer_offsets WHERE consumer = ? AND topic = ?",
            (self.consumer, ALT_RAW),
        )

    def run_once(self) -> int:
        """One batch after the checkpoint; the number of records read (0: caught up)."""
        if not self._ready:
            self.target.command(create_table_sql())
            self._ready = True
        records = self.journal.read_since(self.position(), [ALT_RAW], self.batch_size)
        if not records:
            return 0
        rows = [_row(record) for record in records if record.kind == "alt_point"]
        if rows:
            self.target.command(insert_sql(rows))
        self._checkpoint(records[-1].seq)
        self.counters.records_read += len(records)
        self.counters.points_written += len(rows)
        self.counters.batches += 1
        return len(records)

    def run_until_caught_up(self) -> AltCounters:
        while self.run_once():
            pass
        return self.counters

    def points(self) -> list[dict[str, Any]]:
        return self.target.rows(points_sql())


def _row(record: LogRecord) -> dict[str, Any]:
    point = decode_payload(record.kind, record.payload)
    return {
        "source": point.source,
        "metric": point.metric,
        "subject": point.subject,
        "value": exact_value(point.value, record.seq),
        "ts_event": point.ts_event,
        "event_id": record.event_id,
        "seq": record.seq,
    }

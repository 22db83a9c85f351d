"""`audit order`: the whole life of one order, in log order, from the journal itself.

An order answers to several ClOrdIDs over its life (each replace gives it a new one; each
cancel or replace request has its own), so the trail is a closure:

1. seeds: the asked ClOrdID, plus the OrigClOrdID it targeted if it is a request;
2. the OMS order ids of the order events that name a seed;
3. every ClOrdID those order events name (replaced, replacing, cancel request);
4. the records that carry one of the order ids, or name one of the ClOrdIDs: commands
   (submit/cancel/replace), risk decisions, order events, fills, venue cancels.

Why it is fast on a big log: each step asks ``agents.audit.order_index`` which records
of the account name the ids it has (an index range lookup in the journal's own file),
reads just those records by seq, and applies the step's rule to their payloads, as
read from the journal. Without ``--account`` the account comes from the same index.
Everything is read in one SQLite read transaction, bounded by the indexed seq: one
consistent snapshot of the log even while a writer keeps appending.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.audit.db import AuditError
from agents.audit.order_index import REFS_TABLE, OrderIndex

_COMMAND_TOPICS = ("orders.commands", "orders.events")
_ORDER_EVENTS = "orders.events"
_DETAIL_FIELDS = (
    "side", "order_type", "qty", "limit_price", "tif", "exec_id", "last_qty", "last_px",
    "cum_qty", "leaves_qty", "avg_px", "price", "fee", "fee_currency", "canceled_qty",
    "approved", "rule", "limit", "observed", "reason",
)  # fmt: skip
TRAIL_COLUMNS = (
    "seq", "time", "topic", "kind", "cl_ord_id", "orig_cl_ord_id", "order_id",
    "detail", "event_id", "causation_id",
)  # fmt: skip
"""Columns of the terminal table (JSON has every field, the record included)."""


class UnknownOrderError(AuditError):
    pass


@dataclass(frozen=True)
class OrderTrail:
    account: str
    cl_ord_id: str
    order_ids: tuple[str, ...]
    cl_ord_ids: tuple[str, ...]
    entries: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Record:
    """One journal record of the order topics, its id fields as ``JSONExtractString``
    reads them (the string at the top level, else empty)."""

    seq: int
    key: str
    topic: str
    kind: str
    event_id: str
    ts_event: int
    causation_id: str | None
    correlation_id: str | None
    record: Any
    cl_ord_id: str
    orig_cl_ord_id: str
    cancel_cl_ord_id: str
    order_id: str

    @property
    def names(self) -> tuple[str, str, str]:
        return self.cl_ord_id, self.orig_cl_ord_id, self.cancel_cl_ord_id


def _text(record: Any, name: str) -> str:
    value = record.get(name) if isinstance(record, dict) else None
    return value if isinstance(value, str) else ""


def _parse(row: tuple[Any, ...]) -> _Record:
    seq, key, topic, kind, event_id, ts_event, cause, corr, payload = row
    try:
        record = json.loads(payload)
    except ValueError:
        record = None
    return _Record(
        int(seq), key, topic, kind, event_id, int(ts_event), cause, corr, record,
        _text(record, "cl_ord_id"), _text(record, "orig_cl_ord_id"),
        _text(record, "cancel_cl_ord_id"), _text(record, "order_id"),
    )  # fmt: skip


class _Reader:
    """The candidate records of one snapshot (``seq <= end``), each read once."""

    def __init__(self, index: OrderIndex, end: int) -> None:
        self.db = index.db
        self.end = end
        self._cache: dict[int, _Record] = {}

    def naming(self, refs: Iterable[str], account: str | None = None) -> list[_Record]:
        """Records (of ``account``, if given) whose id fields include one of ``refs``."""
        wanted = sorted(set(refs))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT DISTINCT seq FROM {REFS_TABLE} WHERE ref IN ({marks}) AND seq <= ?"  # noqa: S608
        params: list[Any] = [*wanted, self.end]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        seqs = [int(row[0]) for row in self.db.execute(sql, params)]
        missing = [seq for seq in seqs if seq not in self._cache]
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            marks = ", ".join("?" * len(part))
            for row in self.db.execute(
                "SELECT seq, key, topic, kind, event_id, ts_event, causation_id, "  # noqa: S608
                f"correlation_id, payload FROM journal WHERE seq IN ({marks})",
                part,
            ):
                self._cache[int(row[0])] = _parse(row)
        return sorted((self._cache[seq] for seq in seqs), key=lambda r: r.seq)


def find_accounts(reader: _Reader, cl_ord_id: str) -> list[str]:
    """Accounts with a command or order event naming ``cl_ord_id`` (unique per account)."""
    return sorted(
        {
            r.key
            for r in reader.naming([cl_ord_id])
            if r.topic in _COMMAND_TOPICS and cl_ord_id in r.names
        }
    )


@contextmanager
def snapshot(index: OrderIndex) -> Iterator[_Reader]:
    """The index caught up, then one read transaction bounded by the indexed seq: every
    question asked of the reader sees the same log, while a writer keeps appending."""
    index.catch_up()
    index.db.execute("BEGIN")
    try:
        yield _Reader(index, index.indexed_seq())
    finally:
        index.db.execute("COMMIT")


def order_trail(index: OrderIndex, cl_ord_id: str, account: str | None = None) -> OrderTrail:
    """Every record of the order ``cl_ord_id`` names, in log order (index caught up first)."""
    with snapshot(index) as reader:
        return trail_in(reader, cl_ord_id, account)


def trail_in(reader: _Reader, cl_ord_id: str, account: str | None = None) -> OrderTrail:
    """``order_trail`` within a ``snapshot`` (to ask for several accounts' trails at once)."""
    if account is None:
        accounts = find_accounts(reader, cl_ord_id)
        if not accounts:
            raise UnknownOrderError(f"no order or request with ClOrdID {cl_ord_id!r} in the log")
        if len(accounts) > 1:
            raise AuditError(
                f"ClOrdID {cl_ord_id!r} is used by accounts {', '.join(accounts)}; pass --account"
            )
        account = accounts[0]
    asked = [r for r in reader.naming([cl_ord_id], account) if r.cl_ord_id == cl_ord_id]
    if not asked:
        raise UnknownOrderError(
            f"no order or request with ClOrdID {cl_ord_id!r} for account {account!r}"
        )
    seeds = {cl_ord_id} | {r.orig_cl_ord_id for r in asked if r.orig_cl_ord_id}
    order_ids = sorted(
        {
            r.order_id
            for r in reader.naming(seeds, account)
            if r.topic == _ORDER_EVENTS and r.order_id and seeds.intersection(r.names)
        }
    )
    linked = {
        name
        for r in reader.naming(order_ids, account)
        if r.topic == _ORDER_EVENTS and r.order_id in order_ids
        for name in r.names
        if name
    }
    ids = sorted(seeds | linked)
    entries = [
        _entry(r)
        for r in reader.naming([*order_ids, *ids], account)
        if r.order_id in order_ids or r.cl_ord_id in ids or r.orig_cl_ord_id in ids
    ]
    return OrderTrail(account, cl_ord_id, tuple(order_ids), tuple(ids), entries)


def event_time(ts_event: int) -> str:
    """ns since the epoch as ClickHouse prints a ``DateTime64(9, 'UTC')``."""
    seconds, nanos = divmod(ts_event, 1_000_000_000)
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d %H:%M:%S}.{nanos:09d}"


def _entry(r: _Record) -> dict[str, Any]:
    record = r.record if isinstance(r.record, dict) else {}
    detail = " ".join(
        f"{name}={record[name]}" for name in _DETAIL_FIELDS if record.get(name) not in (None, "")
    )
    return {
        "seq": r.seq,
        "ts_event": r.ts_event,
        "time": event_time(r.ts_event),
        "topic": r.topic,
        "kind": r.kind,
        "cl_ord_id": r.cl_ord_id or None,
        "orig_cl_ord_id": r.orig_cl_ord_id or r.cancel_cl_ord_id or None,
        "order_id": r.order_id or None,
        "detail": detail,
        "event_id": r.event_id,
        "causation_id": r.causation_id,
        "correlation_id": r.correlation_id,
        "record": dict(record),
    }

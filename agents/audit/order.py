"""`audit order`: the whole life of one order, in log order, from the journal itself.

An order answers to several ClOrdIDs over its life (each replace gives it a new one; each
cancel or replace request has its own), so the trail is a closure, computed in SQL:

1. seeds: the asked ClOrdID, plus the OrigClOrdID it targeted if it is a request;
2. the OMS order ids of the order events that name a seed;
3. every ClOrdID those order events name (replaced, replacing, cancel request);
4. the records that carry one of the order ids, or name one of the ClOrdIDs: commands
   (submit/cancel/replace), risk decisions, order events, fills, venue cancels.

Why it is fast enough on a big log: chDB hands ``topic IN (...) AND partition = N`` to
SQLite, which answers from the ``(topic, partition, offset)`` index, so only the order
topics of the account's partition are read once (into a temporary in-memory table),
and the closure runs there. Without ``--account`` the account is found first by one
scan of the command and order-event payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.audit.db import ORDER_TOPICS, AuditDb, AuditError, decoded, in_list
from streams.partitioning import partition_for

TRAIL_TABLE = "audit_trail_rows"
_ID_COLUMNS = (
    "JSONExtractString(payload, 'cl_ord_id') AS cl_ord_id, "
    "JSONExtractString(payload, 'orig_cl_ord_id') AS orig_cl_ord_id, "
    "JSONExtractString(payload, 'cancel_cl_ord_id') AS cancel_cl_ord_id, "
    "JSONExtractString(payload, 'order_id') AS order_id"
)
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


def find_accounts(db: AuditDb, cl_ord_id: str) -> list[str]:
    """Accounts with a command or order event naming ``cl_ord_id`` (unique per account)."""
    rows = db.rows(
        f"SELECT DISTINCT key FROM {db.source} WHERE topic IN "  # noqa: S608
        "('orders.commands', 'orders.events') AND seq <= {end:Int64} "
        "AND position(payload, {needle:String}) > 0 "
        "AND {id:String} IN (JSONExtractString(payload, 'cl_ord_id'), "
        "JSONExtractString(payload, 'orig_cl_ord_id'), "
        "JSONExtractString(payload, 'cancel_cl_ord_id')) ORDER BY key",
        end=db.end_seq,
        needle=f'"{cl_ord_id}"',
        id=cl_ord_id,
    )
    return [str(row["key"]) for row in rows]


def _load_partition(db: AuditDb, account: str) -> None:
    """The account's records of the order topics, read once from SQLite by index."""
    parts = {db.partitions.get(topic, 0) for topic in ORDER_TOPICS} - {0}
    if len(parts) > 1:
        raise AuditError("the order topics have different partition counts; cannot narrow")
    partition = partition_for(account, parts.pop()) if parts else 0
    db.run(f"DROP TEMPORARY TABLE IF EXISTS {TRAIL_TABLE}")
    db.run(
        f"CREATE TEMPORARY TABLE {TRAIL_TABLE} ENGINE = Memory AS "  # noqa: S608
        "SELECT assumeNotNull(seq) AS seq, topic, kind, event_id, ts_event, causation_id, "
        f"correlation_id, payload, {_ID_COLUMNS} FROM {db.source} "
        f"WHERE topic IN {in_list(ORDER_TOPICS)} AND partition = {int(partition)} "
        "AND key = {account:String} AND seq <= {end:Int64}",
        account=account,
        end=db.end_seq,
    )


def _strings(db: AuditDb, sql: str, **params: Any) -> list[str]:
    rows = db.rows(sql, **params)
    return sorted({str(value) for row in rows for value in row.values() if value})


def order_trail(db: AuditDb, cl_ord_id: str, account: str | None = None) -> OrderTrail:
    """Every record of the order ``cl_ord_id`` names, in log order."""
    if account is None:
        accounts = find_accounts(db, cl_ord_id)
        if not accounts:
            raise UnknownOrderError(f"no order or request with ClOrdID {cl_ord_id!r} in the log")
        if len(accounts) > 1:
            raise AuditError(
                f"ClOrdID {cl_ord_id!r} is used by accounts {', '.join(accounts)}; pass --account"
            )
        account = accounts[0]
    _load_partition(db, account)
    t = TRAIL_TABLE
    seeds = [
        cl_ord_id,
        *_strings(
            db,
            f"SELECT orig_cl_ord_id FROM {t} WHERE cl_ord_id = {{id:String}}",  # noqa: S608
            id=cl_ord_id,
        ),
    ]
    known = db.rows(
        f"SELECT 1 AS found FROM {t} WHERE cl_ord_id = {{id:String}} LIMIT 1",  # noqa: S608
        id=cl_ord_id,
    )
    if not known:
        raise UnknownOrderError(
            f"no order or request with ClOrdID {cl_ord_id!r} for account {account!r}"
        )
    order_ids = _strings(
        db,
        f"SELECT DISTINCT order_id FROM {t} WHERE topic = 'orders.events' AND order_id != '' "  # noqa: S608
        "AND hasAny([cl_ord_id, orig_cl_ord_id, cancel_cl_ord_id], {seeds:Array(String)})",
        seeds=seeds,
    )
    linked = _strings(
        db,
        f"SELECT DISTINCT arrayJoin([cl_ord_id, orig_cl_ord_id, cancel_cl_ord_id]) AS id "  # noqa: S608
        f"FROM {t} WHERE topic = 'orders.events' AND has({{orders:Array(String)}}, order_id)",
        orders=order_ids,
    )
    ids = sorted(set(seeds) | set(linked))
    rows = db.rows(
        f"SELECT seq, topic, kind, event_id, ts_event, causation_id, correlation_id, payload, "  # noqa: S608
        "cl_ord_id, orig_cl_ord_id, cancel_cl_ord_id, order_id, "
        "toString(fromUnixTimestamp64Nano(ts_event, 'UTC')) AS time "
        f"FROM {t} WHERE has({{orders:Array(String)}}, order_id) "
        "OR has({ids:Array(String)}, cl_ord_id) OR has({ids:Array(String)}, orig_cl_ord_id) "
        "ORDER BY seq",
        orders=order_ids,
        ids=ids,
    )
    db.run(f"DROP TEMPORARY TABLE IF EXISTS {t}")
    return OrderTrail(account, cl_ord_id, tuple(order_ids), tuple(ids), [_entry(r) for r in rows])


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    record = decoded(str(row["payload"]))
    detail = " ".join(
        f"{name}={record[name]}" for name in _DETAIL_FIELDS if record.get(name) not in (None, "")
    )
    return {
        "seq": int(row["seq"]),
        "ts_event": int(row["ts_event"]),
        "time": row["time"],
        "topic": row["topic"],
        "kind": row["kind"],
        "cl_ord_id": row["cl_ord_id"] or None,
        "orig_cl_ord_id": row["orig_cl_ord_id"] or row["cancel_cl_ord_id"] or None,
        "order_id": row["order_id"] or None,
        "detail": detail,
        "event_id": row["event_id"],
        "causation_id": row["causation_id"],
        "correlation_id": row["correlation_id"],
        "record": dict(record),
    }

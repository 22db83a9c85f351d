"""``/audit/order/{cl_ord_id}``: every journal record of one order, in log order.

An order is followed through its ClOrdIDs (a replace gives it a new one; a cancel
request has its own) and its order id: the commands that named it, the OMS's decisions,
risk verdicts, and the executions. This reads the journal itself, not a table: it is
the evidence. The cost is a scan of the order topics (an audit query, not a hot path).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from agents.auth import Permission, Principal
from agents.gateway.engine import GatewayEngine
from agents.gateway.models import NAME_PATTERN, ErrorBody
from agents.gateway.security import require_account, requires, scoped
from agents.gateway.state import gateway_of
from streams.topics import EXEC_REPORTS, ORDERS_COMMANDS, ORDERS_EVENTS, RISK_DECISIONS

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(requires(Permission.audit))]

_TOPICS = (ORDERS_COMMANDS, ORDERS_EVENTS, RISK_DECISIONS, EXEC_REPORTS)
_ID_FIELDS = ("cl_ord_id", "orig_cl_ord_id", "cancel_cl_ord_id")
# Only placeholders are formatted in; every value is bound.
_MATCH = (
    "SELECT seq, topic, key, kind, event_id, ts_event, causation_id, payload FROM journal "  # noqa: S608
    "WHERE topic IN (?, ?, ?, ?) AND {account}("
    + " OR ".join(f"json_extract(payload, '$.{name}') IN ({{marks}})" for name in _ID_FIELDS)
    + " OR json_extract(payload, '$.order_id') IN ({orders})) ORDER BY seq"
)
CLOSURE_ROUNDS = 8
"""A replace chain grows the set of ids one link per round; deeper chains are cut here."""


def _query(
    engine: GatewayEngine, account: str | None, cl_ord_ids: set[str], order_ids: set[str]
) -> list[tuple[Any, ...]]:
    sql = _MATCH.format(
        account="" if account is None else "key = ? AND ",
        marks=",".join("?" * len(cl_ord_ids)),
        orders=",".join("?" * len(order_ids)) or "NULL",
    )
    ids = sorted(cl_ord_ids)
    scope = [] if account is None else [account]
    return engine.query(sql, [*_TOPICS, *scope, *ids, *ids, *ids, *sorted(order_ids)])


def _closure(engine: GatewayEngine, account: str, cl_ord_id: str) -> list[tuple[Any, ...]]:
    cl_ord_ids: set[str] = {cl_ord_id}
    order_ids: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for _ in range(CLOSURE_ROUNDS):
        rows = _query(engine, account, cl_ord_ids, order_ids)
        grown_ids, grown_orders = set(cl_ord_ids), set(order_ids)
        for row in rows:
            payload = json.loads(row[7])
            grown_ids.update(str(payload[name]) for name in _ID_FIELDS if payload.get(name))
            if payload.get("order_id") and row[1] == ORDERS_EVENTS:
                grown_orders.add(str(payload["order_id"]))
        if grown_ids == cl_ord_ids and grown_orders == order_ids:
            break
        cl_ord_ids, order_ids = grown_ids, grown_orders
    return rows


def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, topic, _, kind, event_id, ts_event, causation_id, payload = row
    return {
        "seq": seq,
        "topic": topic,
        "kind": kind,
        "event_id": event_id,
        "ts_event": ts_event,
        "causation_id": causation_id,
        "record": json.loads(payload),
    }


def holders(engine: GatewayEngine, cl_ord_id: str, account: str | None = None) -> set[str]:
    """The accounts whose order records name ``cl_ord_id`` (unique per account only)."""
    return {str(row[2]) for row in _query(engine, account, {cl_ord_id}, set())}


def order_trail(engine: GatewayEngine, account: str, cl_ord_id: str) -> list[dict[str, Any]]:
    """One account's records of the order, closed over the ClOrdIDs and order ids its
    own records name, in log order."""
    return [_entry(row) for row in _closure(engine, account, cl_ord_id)]


@router.get(
    "/audit/order/{cl_ord_id}",
    responses={code: {"model": ErrorBody} for code in (401, 403, 404, 422, 429)},
)
def audit_order(
    cl_ord_id: Annotated[str, Path(pattern=NAME_PATTERN)],
    request: Request,
    principal: Auditor,
    account: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
) -> dict[str, Any]:
    """``{"cl_ord_id": ..., "accounts": {account: [records in log order]}}``."""
    if account is not None:
        require_account(principal, account)
    engine = gateway_of(request).engine
    found = holders(engine, cl_ord_id, account)
    if not found:
        raise HTTPException(404, f"no records of order {cl_ord_id!r}")
    mine = scoped(principal, found)
    if not mine:
        raise HTTPException(403, f"order {cl_ord_id!r} is not in this key's scope")
    trails = {name: order_trail(engine, name, cl_ord_id) for name in sorted(mine)}
    return {"cl_ord_id": cl_ord_id, "accounts": trails}

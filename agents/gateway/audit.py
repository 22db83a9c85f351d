"""``/audit/order/{cl_ord_id}``: every journal record of one order, in log order.

The trail is ``agents.audit.order``'s (the one ``tapeline audit order`` prints): the
order is followed through its ClOrdIDs and its OMS order id, over the order-id index
kept beside the journal (``agents.audit.order_index``). It reads the journal itself,
not a table: it is the evidence.

The route is a plain ``def``, so it runs on the server's thread pool, off the event
loop. The index has its own connection to the journal file (busy timeout included), not
the engine's, and takes no engine lock: it catches up in short write transactions of
``INDEX_CHUNK`` seqs, then reads in one snapshot, which in WAL mode never blocks the
engine's commits. An order waits at most one such chunk for SQLite's write lock.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from agents.audit.order import UnknownOrderError, find_accounts, snapshot, trail_in
from agents.audit.order_index import OrderIndex
from agents.auth import Permission, Principal
from agents.gateway.models import NAME_PATTERN, ErrorBody
from agents.gateway.security import require_account, requires, scoped
from agents.gateway.state import gateway_of

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(requires(Permission.audit))]

INDEX_CHUNK = 5_000
"""Seqs the index takes per write transaction here, beside the engine's commits."""
_ENTRY_FIELDS = ("seq", "topic", "kind", "event_id", "ts_event", "causation_id", "record")


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The REST shape of one of ``order_trail``'s entries."""
    return {name: entry[name] for name in _ENTRY_FIELDS}


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
    path = gateway_of(request).engine.journal.path
    with OrderIndex(path, chunk=INDEX_CHUNK) as index, snapshot(index) as reader:
        found = set(find_accounts(reader, cl_ord_id))
        if account is not None:
            found &= {account}
        if not found:
            raise HTTPException(404, f"no records of order {cl_ord_id!r}")
        mine = scoped(principal, found)
        if not mine:
            raise HTTPException(403, f"order {cl_ord_id!r} is not in this key's scope")
        trails: dict[str, list[dict[str, Any]]] = {}
        for name in sorted(mine):
            try:
                trails[name] = [_entry(e) for e in trail_in(reader, cl_ord_id, name).entries]
            except UnknownOrderError:  # only a request's OrigClOrdID names it here
                continue
    if not trails:
        raise HTTPException(404, f"no records of order {cl_ord_id!r}")
    return {"cl_ord_id": cl_ord_id, "accounts": trails}

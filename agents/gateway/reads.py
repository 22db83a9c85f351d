"""Table reads: the live tables (``agents.tables.read_rows``), filtered to the caller's
accounts. Tickers are market data and carry no account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from agents.auth import Permission, Principal
from agents.gateway.models import NAME_PATTERN, ErrorBody
from agents.gateway.security import require_account, requires
from agents.gateway.state import Gateway, gateway_of
from agents.orders.fold import REJECTED_PREFIX
from agents.tables import TableName, View

router = APIRouter(tags=["tables"])
Reader = Annotated[Principal, Depends(requires(Permission.read_orders))]
AlertReader = Annotated[Principal, Depends(requires(Permission.read_alerts))]
MarketReader = Annotated[Principal, Depends(requires(Permission.read_market))]
AccountQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="only this account")]
Rows = list[dict[str, Any]]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 422, 429)
}


def visible(gateway: Gateway, principal: Principal, rows: Rows, account: str | None) -> Rows:
    if account is not None:
        require_account(principal, account)
        if account not in gateway.engine.accounts() and account not in gateway.keys.accounts():
            raise HTTPException(404, f"unknown account {account!r}")
        return [row for row in rows if row.get("account") == account]
    if principal.all_accounts:
        return rows
    return [row for row in rows if row.get("account") in principal.accounts]


def _table(
    name: TableName, request: Request, principal: Principal, account: str | None,
    view: View = View.rows,
) -> Rows:  # fmt: skip
    gateway = gateway_of(request)
    return visible(gateway, principal, gateway.engine.rows(name, view), account)


@router.get("/orders", response_model=Rows, responses=ERRORS)
def list_orders(request: Request, principal: Reader, account: AccountQuery = None) -> Rows:
    return _table(TableName.orders, request, principal, account)


@router.get("/orders/{cl_ord_id}", response_model=dict[str, Any], responses=ERRORS)
def get_order(
    cl_ord_id: Annotated[str, Path(pattern=NAME_PATTERN)],
    request: Request,
    principal: Reader,
    account: AccountQuery = None,
) -> dict[str, Any]:
    """The order whose current (or first) ClOrdID is ``cl_ord_id``. ClOrdIDs are unique
    per account; pass ``account`` when two of your accounts used the same one."""
    gateway = gateway_of(request)
    if account is not None:
        require_account(principal, account)
    by_account: dict[str, dict[str, Any]] = {}
    for row in gateway.engine.rows(TableName.orders):
        if cl_ord_id not in (row.get("cl_ord_id"), row.get("root_cl_ord_id")):
            continue
        if account is not None and row.get("account") != account:
            continue
        # A refused request with a used ClOrdID has a row of its own; the order wins.
        held = by_account.get(str(row.get("account")))
        if held is None or str(held.get("order_id")).startswith(REJECTED_PREFIX):
            by_account[str(row.get("account"))] = row
    if not by_account:
        raise HTTPException(404, f"no order {cl_ord_id!r}")
    mine = visible(gateway, principal, list(by_account.values()), None)
    if not mine:
        raise HTTPException(403, f"order {cl_ord_id!r} is not in this key's scope")
    if len(mine) > 1:
        names = ", ".join(sorted(str(row.get("account")) for row in mine))
        raise HTTPException(
            422, f"ClOrdID {cl_ord_id!r} is used in accounts {names}; pass ?account="
        )
    return mine[0]


@router.get("/positions", response_model=Rows, responses=ERRORS)
def positions(request: Request, principal: Reader, account: AccountQuery = None) -> Rows:
    return _table(TableName.positions, request, principal, account)


@router.get("/pnl", response_model=Rows, responses=ERRORS)
def pnl(request: Request, principal: Reader, account: AccountQuery = None) -> Rows:
    return _table(TableName.pnl, request, principal, account)


@router.get("/exeq", response_model=Rows, responses=ERRORS)
def exeq(
    request: Request,
    principal: Reader,
    account: AccountQuery = None,
    summary: Annotated[bool, Query(description="aggregates per account and instrument")] = False,
) -> Rows:
    view = View.summary if summary else View.rows
    return _table(TableName.exeq, request, principal, account, view)


@router.get("/alerts", response_model=Rows, responses=ERRORS)
def alerts(request: Request, principal: AlertReader, account: AccountQuery = None) -> Rows:
    return _table(TableName.alerts, request, principal, account)


@router.get("/tickers", response_model=Rows, responses=ERRORS)
def tickers(request: Request, principal: MarketReader) -> Rows:
    return gateway_of(request).engine.rows(TableName.tickers)

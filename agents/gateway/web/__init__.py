"""The trader's dashboard: static files (no build step, no CDN) served by the gateway.

``mount_dashboard(app)`` serves ``index.html`` at ``/`` and the assets at ``/static/``,
with a Content-Security-Policy that allows only this origin (scripts, styles and the
``/ws`` WebSocket). The page keeps its JWT in memory only. It also adds
``GET /dashboard/pnl-history``: the PnL-over-time series of the caller's accounts
(the pnl table's ``history`` view, which ``GET /pnl`` does not expose), so the chart
starts with the past hour instead of an empty canvas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse

from agents.auth import Permission, Principal
from agents.gateway.models import ErrorBody
from agents.gateway.reads import AccountQuery, visible
from agents.gateway.security import requires
from agents.gateway.state import gateway_of
from agents.tables import TableName, View

WEB_DIR = Path(__file__).resolve().parent
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}
"""Only these files are served from ``/static/`` (never the package's Python source)."""
Reader = Annotated[Principal, Depends(requires(Permission.read_orders))]

router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", media_type="text/html", headers=_PAGE_HEADERS)


@router.get("/static/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"no file {name[:64]!r}")
    return FileResponse(WEB_DIR / name, media_type=media_type, headers=_PAGE_HEADERS)


@router.get(
    "/dashboard/pnl-history",
    response_model=list[dict[str, Any]],
    responses={code: {"model": ErrorBody} for code in (401, 403, 404, 422, 429)},
)
def pnl_history(
    request: Request, principal: Reader, account: AccountQuery = None
) -> list[dict[str, Any]]:
    """PnL over time per account (decimals as strings), for the dashboard's chart."""
    gateway = gateway_of(request)
    rows = gateway.engine.rows(TableName.pnl, View.history)
    return visible(gateway, principal, rows, account)


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard from ``app``: ``/``, ``/static/*`` and the chart's history."""
    app.include_router(router)


__all__ = ["mount_dashboard", "router"]

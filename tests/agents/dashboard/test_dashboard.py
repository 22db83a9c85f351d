"""The trader's dashboard in a real browser against a real live gateway: log in with an
API key, send a marketable order from the ticket, and watch the blotter and the
positions table follow the WebSocket."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.agents.dashboard.conftest import TRADER_ACCOUNT, Gateway
from tests.factories import BTC

WAIT_MS = 15_000


def _log_in(page: Page, gateway: Gateway, key: str) -> None:
    page.goto(gateway.url + "/")
    page.fill("#api-key", key)
    page.click("#login-form button[type=submit]")


def _row(page: Page, table: str, text: str) -> Locator:
    return page.locator(f"#{table} tbody tr", has_text=text)


def test_a_marketable_order_from_the_ticket_fills_live(
    page: Page, gateway: Gateway, tmp_path: Path
) -> None:
    page_errors: list[str] = []
    csp: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: csp.append(message.text) if "Content Security" in message.text else None,
    )
    _log_in(page, gateway, gateway.trader_key)
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "on", timeout=WAIT_MS)
    expect(page.locator("body")).to_have_attribute("data-synced", "yes", timeout=WAIT_MS)
    expect(page.locator("#who")).to_contain_text(f"dana · trader · {TRADER_ACCOUNT}")
    expect(_row(page, "tickers-table", BTC)).to_contain_text("9999.5")
    expect(page.locator("#t-account")).to_have_value(TRADER_ACCOUNT)
    expect(page.locator("#t-instrument")).to_have_value(BTC)
    expect(page.locator("#positions-table tbody tr")).to_have_count(0)

    page.select_option("#t-side", "buy")
    page.select_option("#t-type", "market")
    page.fill("#t-qty", "0.01")
    page.fill("#t-clordid", "ui-buy-1")
    page.click("#t-submit")

    decision = page.locator("#decision")
    expect(decision).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
    expect(decision).to_contain_text("ACCEPTED ui-buy-1")
    expect(decision).to_contain_text("arrival mid 10000.0")
    # The blotter's REST loads finished before the order: the fill came over the WebSocket.
    order = _row(page, "orders-table", "ui-buy-1")
    expect(order.locator("td[data-field=status]")).to_have_text("Filled", timeout=WAIT_MS)
    expect(order).to_have_attribute("data-via", "ws")
    expect(order.locator("td[data-field=avg_px]")).to_have_text("10000.5")
    expect(order.locator("td[data-field=leaves_qty]")).to_have_text("0.00")
    position = _row(page, "positions-table", BTC)
    expect(position.locator("td[data-field=qty]")).to_have_text("0.01", timeout=WAIT_MS)
    expect(position.locator("td[data-field=avg_price]")).to_have_text("10000.5")
    expect(page.locator("#pnl-now")).to_contain_text(f"{TRADER_ACCOUNT} -0.05500250")
    expect(_row(page, "exeq-table", "ui-buy-1")).to_contain_text("0.5000", timeout=WAIT_MS)
    expect(page.locator("#alerts-note")).to_contain_text("403")

    # A refused request says why and sends nothing.
    page.fill("#t-instrument", "nowhere:NOPE")
    page.fill("#t-clordid", "ui-bad-1")
    page.click("#t-submit")
    expect(decision).to_have_attribute("data-status", "error", timeout=WAIT_MS)
    expect(decision).to_contain_text("unknown instrument")
    expect(_row(page, "orders-table", "ui-bad-1")).to_have_count(0)

    shot = Path(os.environ.get("TAPELINE_DASHBOARD_SCREENSHOT", tmp_path / "dashboard.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page_errors == []
    assert csp == []


def test_a_wrong_key_is_refused_and_the_token_stays_in_memory(page: Page, gateway: Gateway) -> None:
    _log_in(page, gateway, "not-a-key")
    expect(page.locator("#login-error")).to_contain_text("401")
    expect(page.locator("#dashboard")).to_be_hidden()
    _log_in(page, gateway, gateway.trader_key)
    expect(page.locator("#live")).to_have_attribute("data-state", "on", timeout=WAIT_MS)
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    page.reload()  # memory only: a reload is logged out
    expect(page.locator("#login-panel")).to_be_visible()
    expect(page.locator("#dashboard")).to_be_hidden()


def test_the_page_is_served_with_a_strict_content_security_policy(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        index = client.get("/")
        assert index.status_code == 200
        policy = index.headers["content-security-policy"]
        assert re.search(r"script-src 'self'(;|$)", policy)
        assert "unsafe-inline" not in policy
        assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/static/__init__.py").status_code == 404
        assert client.get("/dashboard/pnl-history").status_code == 401

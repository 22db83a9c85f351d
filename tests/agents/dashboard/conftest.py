"""A real live gateway (uvicorn on a loopback port, NATS from ``deploy/up nats``) serving
the dashboard, and a headless Debian Chromium driven by Playwright.

A missing Chromium or an unreachable NATS fails the tests with the command that fixes
it; nothing is skipped. Playwright's own browser download is never used: the browser is
``/usr/bin/chromium`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from agents.auth import KeyStore, Role
from agents.gateway import create_app
from agents.gateway.web import mount_dashboard
from streams.nats_bus import nats_url
from tests.agents.gateway.server import seed_quotes

CHROMIUM = Path(os.environ.get("TAPELINE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRADER_ACCOUNT = "ACC-1"


@dataclass
class Gateway:
    url: str
    trader_key: str


def _nats_reachable() -> None:
    url = nats_url()
    host_port = url.split("://", 1)[-1].split(",")[0]
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port or 4222)), timeout=2).close()
    except OSError as error:
        pytest.fail(f"NATS is not reachable at {url} ({error}); start it with `deploy/up nats`")


def _with_dashboard(app: FastAPI) -> FastAPI:
    """The app with the dashboard, whether or not ``create_app`` mounts it already."""
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        mount_dashboard(app)
    return app


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    _nats_reachable()
    data_dir = tmp_path_factory.mktemp("dashboard")
    seed_quotes(data_dir)
    store = KeyStore.in_dir(data_dir)
    key = store.create("dana", Role.trader, [TRADER_ACCOUNT]).key
    store.close()
    app = _with_dashboard(create_app(data_dir, live=True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(app, log_config=None, lifespan="on", http="h11", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Gateway(f"http://127.0.0.1:{sock.getsockname()[1]}", key)
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `apt-get update && apt-get install -y "
            "chromium` (or set $TAPELINE_CHROMIUM); the dashboard test needs a real browser"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    yield opened
    context.close()

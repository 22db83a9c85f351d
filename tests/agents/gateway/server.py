"""A real gateway on a loopback port, in a thread: uvicorn serving ``create_app`` over a
temp data dir seeded with quotes, and one API key per role.

The listening socket is bound before uvicorn starts, so a client may connect at once:
the kernel queues the connection until the server accepts it (no polling, no sleeps).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from agents.auth import KeyStore, Role
from agents.gateway import GatewaySettings, create_app
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS
from tests import factories

BTC = "binance-futures:BTCUSDT"

ROLES: dict[str, tuple[Role, list[str]]] = {
    "trader": (Role.trader, ["ACC-1"]),
    "trader2": (Role.trader, ["ACC-2"]),
    "risk": (Role.risk, ["ACC-1", "ACC-3"]),
    "auditor": (Role.auditor, ["ACC-1", "ACC-3"]),
    "admin": (Role.admin, []),
}


def order(cl_ord_id: str, **fields: Any) -> dict[str, Any]:
    """A limit order's JSON body for ``POST /orders``; ``fields`` override the defaults."""
    body: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": cl_ord_id,
        "instrument": BTC,
        "side": "buy",
        "order_type": "limit",
        "qty": "0.5",
        "limit_price": "9000",
        "tif": "GTC",
    }
    body.update(fields)
    return body


def seed_quotes(data_dir: Path) -> None:
    """Quotes stamped now, so orders have an arrival mid and risk a reference price."""
    journal = SqliteJournal.in_dir(data_dir)
    now = time.time_ns()
    quote = factories.quote(ts_event=now, ts_recv=now)
    with journal.transaction():
        journal.append_in_transaction([new_record(MD_TICKS, quote)])
    journal.close_now()


@dataclass
class Server:
    url: str
    data_dir: Path
    app: Any
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def client(self, who: str | None = None, *, api_key: bool = False) -> httpx.Client:
        headers = {}
        if who is not None:
            if api_key:
                headers["X-API-Key"] = self.keys[who]
            else:
                headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        self._thread.join()


def start(data_dir: Path, settings: GatewaySettings | None = None) -> Server:
    seed_quotes(data_dir)
    store = KeyStore.in_dir(data_dir)
    keys = {who: store.create(who, role, accounts).key for who, (role, accounts) in ROLES.items()}
    store.close()
    app = create_app(data_dir, settings=settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=True, http="h11", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    running = Server(f"http://127.0.0.1:{port}", data_dir, app, keys, {}, server, thread)
    with running.client() as client:
        for who, key in keys.items():
            answer = client.post("/auth/token", json={"api_key": key})
            assert answer.status_code == 200, answer.text
            running.tokens[who] = answer.json()["access_token"]
    return running

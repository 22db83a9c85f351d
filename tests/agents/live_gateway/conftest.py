"""Fixtures for the live gateway: a real NATS (``deploy/up nats``) and a real uvicorn.

The NATS fixtures fail, never skip, when the server is not reachable. The WebSocket
server is uvicorn on a loopback port, serving a minimal FastAPI app that includes the
router; ``authenticate`` is a dict of test tokens (test configuration, not a mock).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from agents.live_gateway import LiveHub, Principal, live_router
from streams.nats_bus import DEFAULT_NATS_URL, NatsLink, nats_url

REPO = Path(__file__).resolve().parents[3]
TOKENS = {
    "tok-alice": Principal("alice", "trader", frozenset({"ACC-A"})),
    "tok-bob": Principal("bob", "trader", frozenset({"ACC-B"})),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _host_port(url: str) -> tuple[str, int]:
    host_port = url.split("://", 1)[-1].split(",")[0]
    host, _, port = host_port.rpartition(":")
    return host or "127.0.0.1", int(port or 4222)


@pytest.fixture
def nats_server() -> str:
    url = nats_url()
    try:
        socket.create_connection(_host_port(url), timeout=2).close()
    except OSError as error:
        pytest.fail(
            f"NATS is not reachable at {url} ({error}); start it with `deploy/up nats` "
            f"(default {DEFAULT_NATS_URL}, or set $TAPELINE_NATS)"
        )
    return url


@pytest.fixture
async def link(nats_server: str) -> AsyncIterator[NatsLink]:
    connection = await NatsLink.connect(nats_server, name="test-hub", reconnect_wait=0.05)
    yield connection
    await connection.close()


@pytest.fixture
async def pub_link(nats_server: str) -> AsyncIterator[NatsLink]:
    connection = await NatsLink.connect(nats_server, name="test-pub", reconnect_wait=0.05)
    yield connection
    await connection.close()


def authenticate(token: str) -> Principal | None:
    return TOKENS.get(token)


def loopback_socket(send_buffer: int | None = None) -> socket.socket:
    """A listening socket; accepted connections inherit its (small) send buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@asynccontextmanager
async def serving(
    hub: LiveHub, *, capacity: int = 1024, send_buffer: int | None = None
) -> AsyncIterator[str]:
    """uvicorn serving the router on this loop; yields the ws:// URL of ``/ws``."""
    app = FastAPI()
    app.include_router(live_router(lambda: hub, authenticate, queue_capacity=capacity))
    sock = loopback_socket(send_buffer)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"
    finally:
        server.should_exit = True
        await server.shutdown(sockets=[sock])
        sock.close()

"""WebSocket fan-out of the live gateway: NATS -> hub -> N clients over loopback.

``run(clients, messages, rate)`` starts uvicorn with the ``/ws`` router on a loopback
port, connects ``clients`` WebSocket clients subscribed to one instrument's ticks,
publishes ``messages`` ticks to NATS at ``rate`` per second (0: as fast as possible),
each stamped with its publish time, and measures what the clients receive: frames
delivered per second and the publish -> client lag (p50/p99). Server and clients share
one process and event loop (what a 2-core box allows), so the figures are a floor.
Needs NATS (``deploy/up nats``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from agents.live_gateway import LiveHub, Principal, live_router
from bench.harness import machine
from schemas import TapelineError
from streams.nats_bus import NatsLink, nats_url, subject

INSTRUMENT = "binance-futures:BTCUSDT"
TOKEN = "bench-token"  # noqa: S105 (a throwaway token of the in-process bench app)
PRINCIPAL = Principal("bench", "trader", frozenset({"BENCH"}))


def _authenticate(token: str) -> Principal | None:
    return PRINCIPAL if token == TOKEN else None


def _quantile(values: list[int], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] / 1e6 if values else 0.0


async def _receive(ws: ClientConnection, messages: int, lags: list[int]) -> int:
    got = 0
    try:
        while True:
            frame = json.loads(await ws.recv())
            lags.append(time.time_ns() - frame["data"]["sent_ns"])
            got += 1
            if frame["data"]["n"] == messages - 1:
                return got
    finally:
        await ws.close()


async def _run(clients: int, messages: int, rate: float) -> dict[str, Any]:
    try:
        hub_link = await NatsLink.connect(name="bench-fanout-hub")
        pub_link = await NatsLink.connect(name="bench-fanout-pub")
    except Exception as error:
        raise TapelineError(
            f"NATS not reachable at {nats_url()} ({error}); run deploy/up nats"
        ) from None
    app = FastAPI()
    hub = LiveHub(hub_link)
    app.include_router(live_router(lambda: hub, _authenticate, queue_capacity=messages + 16))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    url = f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"
    lags: list[int] = []
    try:
        ready = [asyncio.create_task(_connect_and_subscribe(url)) for _ in range(clients)]
        sockets = await asyncio.gather(*ready)
        readers = [asyncio.create_task(_receive(ws, messages, lags)) for ws in sockets]
        name = subject("ticks", INSTRUMENT)
        pad = "x" * 120
        started = time.perf_counter()
        for index in range(messages):
            body = {"kind": "quote", "n": index, "sent_ns": time.time_ns(), "pad": pad}
            await pub_link.nc.publish(name, json.dumps(body).encode())
            if rate > 0:
                await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.perf_counter()))
            elif index % 64 == 63:
                await asyncio.sleep(0)
        await pub_link.nc.flush()
        delivered = sum(await asyncio.gather(*readers))
        elapsed = time.perf_counter() - started
    finally:
        server.should_exit = True
        await server.shutdown(sockets=[sock])
        sock.close()
        await hub_link.close()
        await pub_link.close()
    lags.sort()
    return {
        "clients": clients,
        "messages": messages,
        "offered_rate": rate,
        "delivered": delivered,
        "expected": clients * messages,
        "seconds": round(elapsed, 3),
        "delivered_per_s": round(delivered / elapsed),
        "lag_ms_p50": round(_quantile(lags, 0.50), 3),
        "lag_ms_p99": round(_quantile(lags, 0.99), 3),
        "lag_ms_max": round(lags[-1] / 1e6, 3) if lags else 0.0,
        "machine": machine(),
    }


async def _connect_and_subscribe(url: str) -> ClientConnection:
    ws = await connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"})
    await ws.recv()  # welcome
    await ws.send(json.dumps({"op": "subscribe", "channels": [f"ticks:{INSTRUMENT}"]}))
    await ws.recv()  # subscribed
    return ws


def run(clients: int = 100, messages: int = 1000, rate: float = 200) -> dict[str, Any]:
    """Fan ``messages`` ticks out to ``clients`` WebSocket clients; see the module doc."""
    return asyncio.run(_run(clients, messages, rate))

"""The REST gateway over real HTTP on the embedded engine.

The gateway (uvicorn + ``create_app``) runs in a forked process on a loopback socket
bound beforehand; the client (httpx, one keep-alive connection) runs here, so the two do
not share a GIL. Open loop: request i is due at ``start + i / rate`` and its latency runs
from that moment, not from when it was sent, so a stall counts against every request
that waited behind it (coordinated omission accounted for).

Two phases of ``duration`` seconds each at the offered ``rate``:

* ``risk_check``: ``POST /risk/check`` (OMS state in memory, nothing appended);
* ``order``: ``POST /orders`` -> the OMS's recorded decision in the response (append,
  catch up every agent, find the decision by causation id), every order checked accepted.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from hdrh.histogram import HdrHistogram

from agents.auth import KeyStore, RateLimit, Role
from bench.harness import progress
from schemas import Quote
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS

INSTRUMENT = "binance-futures:BTCUSDT"
ACCOUNTS = 32
CONNECTIONS = 32


def _seed(data_dir: Path) -> str:
    """Quotes for a reference price, and an admin key (returned) for the client."""
    journal = SqliteJournal.in_dir(data_dir)
    now = time.time_ns()
    quote = Quote.model_validate(
        {"instrument": INSTRUMENT, "bid": "10000.00", "bid_size": "5", "ask": "10000.50",
         "ask_size": "5", "ts_event": now, "ts_recv": now}
    )  # fmt: skip
    with journal.transaction():
        journal.append_in_transaction([new_record(MD_TICKS, quote)])
    journal.close_now()
    store = KeyStore.in_dir(data_dir)
    key = store.create("bench", Role.admin, []).key
    # Accounts exist once some key (or the limits file) names them.
    store.create("desk", Role.trader, [f"ACC-{i}" for i in range(ACCOUNTS)])
    store.close()
    return key


def _serve(data_dir: Path, sock: socket.socket) -> None:
    import uvicorn

    from agents.gateway import GatewaySettings, create_app

    unlimited = RateLimit(rate=1e9, burst=1e9)
    app = create_app(data_dir, settings=GatewaySettings(rate_limit=unlimited))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, http="h11", ws="none", lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


def _open_loop(
    name: str,
    rate: float,
    duration: float,
    send: Callable[[httpx.AsyncClient, int], Awaitable[None]],
    url: str,
    headers: dict[str, str],
) -> dict[str, Any]:
    """Request i is sent at ``start + i / rate`` whatever happened to the others (a task
    each, over a pool of connections), and its latency runs from that intended moment:
    a slow answer delays no later request, and queueing counts (no coordinated omission)."""
    count = max(int(rate * duration), 1)
    interval_ns = int(1e9 / rate)
    histogram = HdrHistogram(1, 60_000_000, 3)  # microseconds, 1 us .. 60 s

    async def go() -> float:
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(
            base_url=url, headers=headers, timeout=60, limits=limits
        ) as client:

            async def one(i: int, intended: int) -> None:
                await send(client, i)
                histogram.record_value(max(1, (time.perf_counter_ns() - intended) // 1000))

            tasks = []
            start = time.perf_counter_ns()
            for i in range(count):
                intended = start + i * interval_ns
                ahead = intended - time.perf_counter_ns()
                if ahead > 0:
                    await asyncio.sleep(ahead / 1e9)
                tasks.append(asyncio.create_task(one(i, intended)))
            await asyncio.gather(*tasks)
            return (time.perf_counter_ns() - start) / 1e9

    with progress() as bar:
        bar.add_task(f"{name} @ {rate:g}/s", total=None)
        elapsed = asyncio.run(go())
    return {
        f"{name}_requests": count,
        f"{name}_achieved_rate": count / elapsed,
        f"{name}_p50_us": histogram.get_value_at_percentile(50),
        f"{name}_p99_us": histogram.get_value_at_percentile(99),
        f"{name}_max_us": histogram.get_max_value(),
    }


def run(rate: float, duration: float) -> dict[str, Any]:
    if rate <= 0:
        raise ValueError("the gateway bench needs an offered rate > 0")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        key = _seed(data_dir)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = multiprocessing.get_context("fork").Process(
            target=_serve, args=(data_dir, sock), daemon=True
        )
        server.start()
        sock.close()
        try:
            return _measure(url, key, rate, duration)
        finally:
            server.terminate()
            server.join()


def _measure(url: str, key: str, rate: float, duration: float) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as client:
        token = client.post("/auth/token", json={"api_key": key})
        token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    check = {"instrument": INSTRUMENT, "side": "buy", "order_type": "limit", "qty": "0.01"}

    async def risk_check(client: httpx.AsyncClient, i: int) -> None:
        body = {**check, "account": f"ACC-{i % ACCOUNTS}", "limit_price": "9990.00"}
        answer = await client.post("/risk/check", json=body)
        if answer.status_code != 200 or not answer.json()["approved"]:
            raise RuntimeError(f"risk check {i}: {answer.status_code} {answer.text}")

    async def order(client: httpx.AsyncClient, i: int) -> None:
        body = {**check, "account": f"ACC-{i % ACCOUNTS}", "cl_ord_id": f"B{i:08d}",
                "limit_price": "9990.00", "tif": "GTC"}  # fmt: skip
        answer = await client.post("/orders", json=body)
        if answer.status_code != 201:
            raise RuntimeError(f"order {i}: {answer.status_code} {answer.text}")

    results: dict[str, Any] = {"offered_rate": rate, "duration_s": duration}
    results |= _open_loop("risk_check", rate, duration, risk_check, url, headers)
    results |= _open_loop("order", rate, duration, order, url, headers)
    return results

"""The REST gateway over real HTTP on the embedded engine.

Three processes: the gateway (uvicorn + ``create_app``) forked onto a loopback socket
bound beforehand; the load generator forked per phase; this one, which only seeds,
waits and reports. The load generator is cheap on purpose, since it shares the two cores
with the server: raw HTTP/1.1 over asyncio (uvloop) keep-alive connections, request
bytes prebuilt, responses parsed just enough (status line, Content-Length, one expected
byte string in the body). Its CPU and the server's are reported per phase
(``*_client_cpu_pct``, ``*_server_cpu_pct``: percent of one core;
``*_server_cpu_us_per_request``), so a reader can tell whether the figures measure the
server or the client.

The machine's own contention is reported too: ``*_cpu_pressure_pct`` is the share of the
phase during which some runnable task waited for a CPU (Linux PSI, ``/proc/pressure/cpu``;
null where the kernel has none). Near 0 the latencies are the gateway's; on a machine
whose cores other work keeps busy (tens of percent) a request may wait for a core as
long as a scheduler slice, and the tail says more about the neighbours than about the
gateway: compare such runs back to back, with phases of at least 5 s (the default).

Open loop: request i is due at ``start + i / rate`` and its latency runs from that
moment, not from when it was sent, so a stall (or a wait for a free connection) counts
against every request that waited behind it (coordinated omission accounted for).

Two phases of ``duration`` seconds each at the offered ``rate``:

* ``risk_check``: ``POST /risk/check`` (OMS state in memory, nothing appended), every
  answer checked approved;
* ``order``: ``POST /orders`` -> the OMS's recorded decision in the response (append,
  catch up every agent, find the decision by causation id), every order checked accepted.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
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
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")

BodyOf = Callable[[int], bytes]


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
    # uvicorn's defaults pick uvloop and httptools when installed, as `tapeline serve` does.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _cpu_pressure_us() -> int | None:
    """Microseconds during which some runnable task waited for a CPU, since boot."""
    try:
        with open("/proc/pressure/cpu", encoding="ascii") as pressure:
            some = pressure.readline().split()
    except OSError:
        return None
    return int(some[-1].removeprefix("total="))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


class _Load:
    """One phase of the load generator: what to send and what a good answer holds.

    No task or future per request: each connection is an ``asyncio.Protocol`` that parses
    its own answers, and a request due while every connection is busy waits in a queue
    (its latency still runs from when it was due) for the next connection to free up.
    """

    def __init__(
        self, port: int, path: str, token: str, body_of: BodyOf, status: int, expect: bytes
    ) -> None:
        self.port = port
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.body_of = body_of
        self.status = str(status).encode()
        self.expect = expect
        self.latencies: list[int] = []
        self.failures: list[str] = []
        self._idle: list[_Connection] = []
        self._queued: deque[tuple[int, int]] = deque()
        self._count = 0
        self._finished: asyncio.Future[None] | None = None

    def request(self, i: int) -> bytes:
        body = self.body_of(i)
        return b"%sContent-Length: %d\r\n\r\n%s" % (self.head, len(body), body)

    def _due(self, i: int, intended: int) -> None:
        if self._idle:
            self._idle.pop().send(i, intended)
        else:
            self._queued.append((i, intended))

    def answered(self, connection: _Connection, head: bytes, body: bytes) -> None:
        self.latencies.append(max(1, (time.perf_counter_ns() - connection.intended) // 1000))
        index, connection.index = connection.index, -1
        if head[9:12] != self.status or self.expect not in body:
            self.failures.append(f"request {index}: {head[:12]!r} {body[:300]!r}")
        if self._queued:
            connection.send(*self._queued.popleft())
        else:
            self._idle.append(connection)
        finished = self._finished
        if len(self.latencies) == self._count and finished is not None and not finished.done():
            finished.set_result(None)

    def lost(self, connection: _Connection) -> None:
        """A connection the gateway closed during the phase (busy or idle) fails it."""
        if self._finished is not None and not self._finished.done():
            self._finished.set_exception(RuntimeError("the gateway closed a connection"))

    async def run(self, rate: float, duration: float) -> tuple[list[int], float, str | None]:
        """(latencies in us, elapsed seconds, the first failure if any)."""
        loop = asyncio.get_running_loop()
        self._count = max(int(rate * duration), 1)
        self._finished = loop.create_future()
        interval_ns = int(1e9 / rate)
        for _ in range(CONNECTIONS):
            transport, connection = await loop.create_connection(
                lambda: _Connection(self), "127.0.0.1", self.port
            )
            connection.transport = transport  # uvloop may call connection_made later
            self._idle.append(connection)
        connections = list(self._idle)
        start = time.perf_counter_ns()
        i = 0
        while i < self._count and not self._finished.done():
            now = time.perf_counter_ns()
            while i < self._count and start + i * interval_ns <= now:
                self._due(i, start + i * interval_ns)
                i += 1
            if i < self._count:
                await asyncio.sleep((start + i * interval_ns - time.perf_counter_ns()) / 1e9)
        try:
            await self._finished
        except RuntimeError as lost:  # reported as the phase's failure
            self.failures.insert(0, str(lost))
        elapsed = (time.perf_counter_ns() - start) / 1e9
        for connection in connections:
            connection.close()
        return self.latencies, elapsed, self.failures[0] if self.failures else None


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, load: _Load) -> None:
        self.load = load
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.index = -1
        self.intended = 0

    def send(self, index: int, intended: int) -> None:
        assert self.transport is not None
        self.index, self.intended = index, intended
        self.transport.write(self.load.request(index))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        start = head.lower().find(b"content-length:") + len(b"content-length:")
        stop = head.find(b"\r\n", start)
        length = int(head[start : stop if stop >= 0 else None])
        if len(self.buffer) < end + 4 + length:
            return
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        self.load.answered(self, head, body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost(self)

    def close(self) -> None:
        self.index = -1
        if self.transport is not None:
            self.transport.close()


def _generate(load: _Load, rate: float, duration: float, out: Connection) -> None:
    """The load generator's process: run the phase, send back the latencies and the
    CPU it used."""
    import uvloop

    cpu = time.process_time()
    latencies, elapsed, failure = uvloop.run(load.run(rate, duration))
    out.send((latencies, elapsed, failure, time.process_time() - cpu))
    out.close()


def _phase(name: str, load: _Load, server_pid: int, rate: float, duration: float) -> dict[str, Any]:
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    client = multiprocessing.get_context("fork").Process(
        target=_generate, args=(load, rate, duration, send), daemon=True
    )
    server_cpu = _cpu_seconds(server_pid)
    pressure = _cpu_pressure_us()
    with progress() as bar:
        bar.add_task(f"{name} @ {rate:g}/s", total=None)
        client.start()
        send.close()
        latencies, elapsed, failure, client_cpu = receive.recv()
        client.join()
    server_cpu = _cpu_seconds(server_pid) - server_cpu
    pressure_after = _cpu_pressure_us()
    waited = None if pressure is None or pressure_after is None else pressure_after - pressure
    if failure is not None:
        raise RuntimeError(f"{name}: {failure}")
    histogram = HdrHistogram(1, 60_000_000, 3)  # microseconds, 1 us .. 60 s
    for latency in latencies:
        histogram.record_value(latency)
    return {
        f"{name}_requests": len(latencies),
        f"{name}_achieved_rate": len(latencies) / elapsed,
        f"{name}_p50_us": histogram.get_value_at_percentile(50),
        f"{name}_p99_us": histogram.get_value_at_percentile(99),
        f"{name}_max_us": histogram.get_max_value(),
        f"{name}_client_cpu_pct": 100 * client_cpu / elapsed,
        f"{name}_server_cpu_pct": 100 * server_cpu / elapsed,
        f"{name}_server_cpu_us_per_request": 1e6 * server_cpu / max(len(latencies), 1),
        f"{name}_cpu_pressure_pct": None if waited is None else waited / elapsed / 1e4,
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
        port = sock.getsockname()[1]
        server = multiprocessing.get_context("fork").Process(
            target=_serve, args=(data_dir, sock), daemon=True
        )
        server.start()
        sock.close()
        try:
            assert server.pid is not None
            return _measure(port, server.pid, key, rate, duration)
        finally:
            server.terminate()
            server.join()


def _measure(port: int, server_pid: int, key: str, rate: float, duration: float) -> dict[str, Any]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        answer = client.post("/auth/token", json={"api_key": key})
        answer.raise_for_status()
    token = answer.json()["access_token"]
    terms = f'"instrument":"{INSTRUMENT}","side":"buy","order_type":"limit","qty":"0.01"'

    def risk_check(i: int) -> bytes:
        return f'{{{terms},"account":"ACC-{i % ACCOUNTS}","limit_price":"9990.00"}}'.encode()

    def order(i: int) -> bytes:
        return (
            f'{{{terms},"account":"ACC-{i % ACCOUNTS}","cl_ord_id":"B{i:08d}",'
            f'"limit_price":"9990.00","tif":"GTC"}}'
        ).encode()

    checks = _Load(port, "/risk/check", token, risk_check, 200, b'"approved":true')
    orders = _Load(port, "/orders", token, order, 201, b'"status":"accepted"')
    results: dict[str, Any] = {"offered_rate": rate, "duration_s": duration}
    results |= _phase("risk_check", checks, server_pid, rate, duration)
    results |= _phase("order", orders, server_pid, rate, duration)
    return results

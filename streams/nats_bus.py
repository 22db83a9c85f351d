"""Live fan-out of committed records over NATS (ARCHITECTURE.md: NATS is the real-time bus).

After each commit the runtime hands what it committed to a ``LivePublisher``, which maps
records to subjects and publishes them from an asyncio task:

==================  =========================  ============================================
subject             source                     body
==================  =========================  ============================================
``ticks.<inst>``    ``md.ticks`` records       record JSON + envelope fields
``orders.<acct>``   ``orders.events`` records  record JSON + envelope fields
``fills.<acct>``    ``exec.reports`` records   record JSON + envelope fields
``alerts.<acct>``   ``compliance.alerts``      record JSON + envelope fields
``positions.<a>``   changed ``positions`` rows the table row + ``table``/``key``/``seq``
``pnl.<acct>``      changed ``pnl`` rows       the table row + ``table``/``key``/``seq``
==================  =========================  ============================================

Publishing never blocks or fails a commit: ``offer`` appends to a bounded in-memory queue
(thread-safe: the gateway commits from worker threads) and wakes the drain task. Ticks are
perishable: while NATS is down they are dropped (counted), and when their queue is full
the oldest goes. Order updates wait for the reconnect (nats-py reconnects and replays
subscriptions itself) in a larger bounded queue; past its bound they are dropped and
counted. Core NATS is at-most-once: a subscriber that must not miss an update resyncs
from the REST tables when it reconnects.

``PublishingRuntime`` is the commit hook: an ``EmbeddedRuntime`` that, once a batch has
committed, publishes the batch's records and the rows its agents changed.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from nats import errors as nats_errors
from nats.aio.client import Client as NatsClient

from streams.agent import Agent
from streams.records import LogRecord, NewRecord, RecordPosition
from streams.runtime import EmbeddedRuntime, ViewFactory
from streams.sqlite_journal import SqliteJournal
from streams.topics import COMPLIANCE_ALERTS, EXEC_REPORTS, MD_TICKS, ORDERS_EVENTS

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
TICKS = "ticks"
TOPIC_SUBJECTS: dict[str, str] = {
    MD_TICKS: TICKS,
    ORDERS_EVENTS: "orders",
    EXEC_REPORTS: "fills",
    COMPLIANCE_ALERTS: "alerts",
}
"""Log topic -> subject prefix; the record key (instrument or account) is the last token."""
RISK_CHECK_SUBJECT = "risk.check"
DRAIN_SLICE = 512
"""Messages published before the drain task yields to the loop."""

_LINK_ERRORS = (
    nats_errors.OutboundBufferLimitError,
    nats_errors.ConnectionClosedError,
    nats_errors.ConnectionDrainingError,
    nats_errors.ConnectionReconnectingError,
    nats_errors.StaleConnectionError,
    ConnectionError,
)
"""Publish failures that mean the link is down (retry the update after the reconnect)."""

_ESCAPES = {ord(c): f"%{ord(c):02X}" for c in "%.*> \t\r\n"}


def subject_token(value: str) -> str:
    """``value`` as one subject token: ``.``, wildcards and whitespace percent-escaped
    (``binance-futures:BTCUSDT`` stays as is; ``BRK.B`` becomes ``BRK%2EB``)."""
    return value.translate(_ESCAPES)


def subject(prefix: str, key: str) -> str:
    return f"{prefix}.{subject_token(key)}"


def nats_url() -> str:
    return os.environ.get("TAPELINE_NATS", DEFAULT_NATS_URL)


class NatsLink:
    """One NATS connection plus an awaitable view of its state.

    nats-py reconnects forever here and replays subscriptions before ``reconnected_cb``;
    ``connected`` is set while the link is usable and ``reconnects`` counts the returns.
    """

    def __init__(self) -> None:
        self.nc = NatsClient()
        self.connected = asyncio.Event()
        self.down = asyncio.Event()
        """Set from a disconnect until the reconnect (the complement of ``connected``)."""
        self.reconnects = 0
        self._reconnected = asyncio.Condition()

    @classmethod
    async def connect(
        cls, servers: str | None = None, *, name: str = "tapeline", reconnect_wait: float = 0.2
    ) -> NatsLink:
        link = cls()
        await link.nc.connect(
            servers=servers or nats_url(),
            name=name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=reconnect_wait,  # type: ignore[arg-type]
            connect_timeout=2,
            disconnected_cb=link._on_disconnected,
            reconnected_cb=link._on_reconnected,
            error_cb=link._on_error,
        )
        link.connected.set()
        return link

    async def _on_disconnected(self) -> None:
        self.connected.clear()
        self.down.set()

    async def _on_reconnected(self) -> None:
        self.down.clear()
        self.connected.set()
        async with self._reconnected:
            self.reconnects += 1
            self._reconnected.notify_all()

    async def _on_error(self, error: Exception) -> None:
        """Connection errors are retried by nats-py; nothing to do but not crash."""

    async def wait_reconnects(self, count: int) -> None:
        """Return once the link has reconnected ``count`` times in all."""
        async with self._reconnected:
            await self._reconnected.wait_for(lambda: self.reconnects >= count)

    async def close(self) -> None:
        if not self.nc.is_closed:
            await self.nc.close()


@dataclass
class PublishStats:
    published: int = 0
    dropped_ticks: int = 0
    dropped_updates: int = 0
    errors: int = 0


_envelope = msgspec.json.Encoder()


def record_body(record: LogRecord | NewRecord) -> bytes:
    """The record's JSON object with the envelope's fields added (one flat object)."""
    head: dict[str, Any] = {
        "topic": record.topic,
        "key": record.key,
        "schema_version": record.schema_version,
        "event_id": record.event_id,
        "causation_id": record.causation_id,
        "correlation_id": record.correlation_id,
    }
    if isinstance(record, LogRecord):
        head |= {
            "partition": record.partition,
            "offset": record.offset,
            "seq": record.seq,
            "ts_ingest": record.ts_ingest,
        }
    payload = record.payload.rstrip()
    return payload[:-1] + b"," + _envelope.encode(head)[1:]


@dataclass
class _Queues:
    ticks: deque[tuple[str, bytes]] = field(default_factory=deque)
    updates: deque[tuple[str, bytes]] = field(default_factory=deque)


class LivePublisher:
    """Bounded, non-blocking publication of committed records to NATS (module docstring).

    Create and ``start`` it on the event loop that owns ``link``; ``offer`` and the
    ``publish_*`` methods may then be called from any thread.
    """

    def __init__(
        self, link: NatsLink, *, max_ticks: int = 10_000, max_updates: int = 100_000
    ) -> None:
        self.link = link
        self.max_ticks = max_ticks
        self.max_updates = max_updates
        self.stats = PublishStats()
        self._queues = _Queues()
        self._lock = threading.Lock()
        self._signalled = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._drain(), name="nats-live-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    # -- the commit side: never blocks, never raises --------------------------------

    def publish_committed(self, records: Iterable[LogRecord | NewRecord]) -> None:
        try:
            for record in records:
                prefix = TOPIC_SUBJECTS.get(record.topic)
                if prefix is not None:
                    self.offer(subject(prefix, record.key), record_body(record), prefix == TICKS)
        except Exception:  # a bad record must not fail the commit that already happened
            self.stats.errors += 1

    def publish_rows(
        self, prefix: str, table: str, seq: int, rows: Iterable[dict[str, Any]]
    ) -> None:
        """Changed table rows (each with an ``account``) to ``<prefix>.<account>``."""
        try:
            for row in rows:
                account = row.get("account")
                if not isinstance(account, str):
                    self.stats.errors += 1
                    continue
                body = _envelope.encode(row | {"table": table, "seq": seq})
                self.offer(subject(prefix, account), body, False)
        except Exception:
            self.stats.errors += 1

    def offer(self, subject_name: str, body: bytes, tick: bool) -> None:
        """Queue one message; ticks go when NATS is down or their queue is full."""
        wake = False
        with self._lock:
            queues = self._queues
            if tick:
                if not self.link.connected.is_set():
                    self.stats.dropped_ticks += 1
                    return
                if len(queues.ticks) >= self.max_ticks:
                    queues.ticks.popleft()
                    self.stats.dropped_ticks += 1
                queues.ticks.append((subject_name, body))
            else:
                if len(queues.updates) >= self.max_updates:
                    self.stats.dropped_updates += 1
                    return
                queues.updates.append((subject_name, body))
            if not self._signalled:
                self._signalled = wake = True
        if wake:
            self._signal()

    def _signal(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not started (or shut down): the queues keep the messages
        try:
            loop.call_soon_threadsafe(self._wake_up)
        except RuntimeError:  # the loop closed between the check and the call
            self.stats.errors += 1

    def _wake_up(self) -> None:
        self._idle.clear()
        self._wake.set()

    # -- the loop side -----------------------------------------------------------------

    def _next(self) -> tuple[str, bytes, bool] | None:
        """The oldest update first (they matter most), then ticks."""
        with self._lock:
            queues = self._queues
            if not self.link.connected.is_set() and queues.ticks:
                self.stats.dropped_ticks += len(queues.ticks)
                queues.ticks.clear()
            if queues.updates:
                name, body = queues.updates.popleft()
                return name, body, False
            if queues.ticks:
                name, body = queues.ticks.popleft()
                return name, body, True
            self._signalled = False
            return None

    def _requeue(self, name: str, body: bytes) -> None:
        with self._lock:
            self._queues.updates.appendleft((name, body))

    async def _drain(self) -> None:
        nc = self.link.nc
        while True:
            await self._wake.wait()
            self._wake.clear()
            sent = 0
            while True:
                if not self.link.connected.is_set():
                    self._drop_ticks()
                    await self.link.connected.wait()
                item = self._next()
                if item is None:
                    break
                name, body, tick = item
                try:
                    await nc.publish(name, body)
                    self.stats.published += 1
                except _LINK_ERRORS:  # disconnected under us: keep the update for later
                    if tick:
                        self.stats.dropped_ticks += 1
                    else:
                        self._requeue(name, body)
                        self.link.connected.clear()  # set again by the reconnect
                except Exception:  # too large, bad subject: this message can never go
                    self.stats.errors += 1
                sent += 1
                if sent % DRAIN_SLICE == 0:
                    await asyncio.sleep(0)  # let subscribers and the server breathe
            self._idle.set()

    def _drop_ticks(self) -> None:
        with self._lock:
            self.stats.dropped_ticks += len(self._queues.ticks)
            self._queues.ticks.clear()

    def pending(self) -> tuple[int, int]:
        """(ticks, updates) waiting to be published."""
        with self._lock:
            return len(self._queues.ticks), len(self._queues.updates)

    async def flushed(self) -> None:
        """Wait until everything offered so far has reached the server (a PING round trip)."""
        await asyncio.sleep(0)  # let a pending wake-up from another thread land first
        await self._idle.wait()
        await self.link.nc.flush()


RowRender = Callable[[str, Any, Mapping[str, Mapping[str, Any]]], dict[str, Any] | None]


@dataclass(frozen=True)
class RowFeed:
    """Publish the changed rows of ``table`` to ``<prefix>.<account>``, rendered by
    ``render(key, state, tables)`` (None: the agent's ``present``; a None row is skipped)."""

    table: str
    prefix: str
    render: RowRender | None = None


class PublishingRuntime(EmbeddedRuntime):
    """An ``EmbeddedRuntime`` that publishes each committed batch (the commit hook).

    ``_write`` runs inside the batch's transaction, so it only stages what the batch did;
    ``step`` and ``submit`` publish staged batches once their transaction has committed
    (when they return, or when the next one starts), and forget the staged batch of a
    transaction that raised (it rolled back). Input records of the batch are published when the
    runtime did not write them itself (ticks from the feed, fills from a venue adapter);
    the runtime's own outputs are published at the commit that wrote them.
    """

    def __init__(
        self,
        journal: SqliteJournal,
        agents: Sequence[Agent[Any]],
        view_factory: ViewFactory | None = None,
        batch_size: int = 2000,
        *,
        publisher: LivePublisher,
        row_feeds: Sequence[RowFeed] = (),
    ) -> None:
        self.publisher = publisher
        self.row_feeds = tuple(row_feeds)
        self._staged: list[tuple[Sequence[LogRecord], Mapping[str, Any]]] = []
        self._own: set[str] = set()
        """Event ids we published as outputs and will read back as inputs."""
        self._published_seq = 0
        super().__init__(journal, agents, view_factory, batch_size)

    def _write(self, records: Sequence[LogRecord], pending: Mapping[str, Any]) -> Any:
        updates = super()._write(records, pending)
        self._staged.append((records, pending))
        return updates

    def step(self) -> tuple[int, int]:
        self._publish_staged()  # committed by an earlier transaction (submit's own)
        try:
            result = super().step()
        except BaseException:
            self._staged.clear()  # the failing transaction rolled back: nothing to say
            raise
        self._publish_staged()
        return result

    def submit(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        self._publish_staged()
        try:
            placed = super().submit(records)
        except BaseException:
            self._staged.clear()
            raise
        self._publish_staged()
        return placed

    def _publish_staged(self) -> None:
        staged, self._staged = self._staged, []
        for records, pending in staged:
            self._publish_batch(records, pending)

    def _publish_batch(self, records: Sequence[LogRecord], pending: Mapping[str, Any]) -> None:
        own = self._own
        fresh = []
        for record in records:
            if record.seq <= self._published_seq:
                continue
            if record.event_id in own:
                own.discard(record.event_id)
                continue
            fresh.append(record)
        self._published_seq = max(self._published_seq, records[-1].seq)
        self.publisher.publish_committed(fresh)
        for work in pending.values():
            outputs = work.outputs
            self.publisher.publish_committed(outputs)
            own.update(out.event_id for out in outputs if out.topic in self.topics)
        self._publish_rows(records[-1].seq, pending)

    def _publish_rows(self, seq: int, pending: Mapping[str, Any]) -> None:
        if not self.row_feeds:
            return
        tables = self.tables()
        states = {name: table.states for name, table in tables.items()}
        for feed in self.row_feeds:
            work = pending.get(feed.table)
            table = tables.get(feed.table)
            if work is None or table is None or not work.changed:
                continue
            render = feed.render or table.agent.present
            if render is None:
                continue
            rows = []
            try:
                for key in sorted(work.changed):
                    row = render(key, table.states[key], states)
                    if row is not None:
                        rows.append(row)
            except Exception:  # a broken renderer must not fail a committed batch
                self.publisher.stats.errors += 1
            self.publisher.publish_rows(feed.prefix, feed.table, seq, rows)


async def connect(servers: str | None = None, *, name: str = "tapeline") -> NatsLink:
    """A ``NatsLink`` to ``servers`` (default ``$TAPELINE_NATS`` or 127.0.0.1:4222)."""
    return await NatsLink.connect(servers, name=name)


__all__ = [
    "DEFAULT_NATS_URL",
    "RISK_CHECK_SUBJECT",
    "TOPIC_SUBJECTS",
    "LivePublisher",
    "NatsLink",
    "PublishStats",
    "PublishingRuntime",
    "RowFeed",
    "connect",
    "nats_url",
    "record_body",
    "subject",
    "subject_token",
]

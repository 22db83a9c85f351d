"""Fixtures for tests against the real Kafka broker that ``deploy/up kafka`` starts.

The broker is found at ``$TAPELINE_KAFKA`` (default ``127.0.0.1:9092``). It must already
be up: when it is not, the tests that need it FAIL with a message saying how to start it
(a skipped Kafka test would let a broken cluster mode pass unnoticed).

Every test gets its own namespace (``t<random hex>``), so topics and consumer groups
never collide across tests or runs; the namespace's topics are deleted afterwards.

The ``Log`` contract drives a log with ``asyncio.run`` per call, a fresh event loop each
time, while a ``KafkaLog`` lives on one loop (its connections and tasks do). So the
``KafkaLog`` runs on a long-lived loop in a background thread, and tests get a
``LoopBoundLog`` whose coroutines hand each call over to that loop.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

from streams.errors import LogError
from streams.kafka_log import DEFAULT_BOOTSTRAP, KafkaLog
from streams.records import LogRecord, NewRecord, RecordPosition
from tests.conftest import REPO

T = TypeVar("T")

KAFKA = os.environ.get("TAPELINE_KAFKA", DEFAULT_BOOTSTRAP)


class LoopThread:
    """An asyncio loop running in a daemon thread, for objects that outlive one ``run``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for it (from a thread with no running loop)."""
        return self.submit(coro).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class LoopBoundLog:
    """The ``Log`` protocol, forwarding each call to a ``KafkaLog`` on a ``LoopThread``."""

    def __init__(self, log: KafkaLog, runner: LoopThread) -> None:
        self.kafka = log
        self._runner = runner

    async def _on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(self._runner.submit(coro))

    async def partitions(self, topic: str) -> int:
        return await self._on_loop(self.kafka.partitions(topic))

    async def append(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        return await self._on_loop(self.kafka.append(records))

    async def read(
        self, topic: str, partition: int, from_offset: int, limit: int
    ) -> list[LogRecord]:
        return await self._on_loop(self.kafka.read(topic, partition, from_offset, limit))

    async def end_offsets(self, topic: str) -> dict[int, int]:
        return await self._on_loop(self.kafka.end_offsets(topic))

    async def commit(self, consumer: str, topic: str, partition: int, next_offset: int) -> None:
        await self._on_loop(self.kafka.commit(consumer, topic, partition, next_offset))

    async def committed(self, consumer: str, topic: str, partition: int) -> int:
        return await self._on_loop(self.kafka.committed(consumer, topic, partition))

    async def close(self) -> None:
        await self._on_loop(self.kafka.close())


def new_namespace() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def kafka_loop() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_loop: LoopThread) -> str:
    """The broker's address, once it has answered; fails (never skips) when it does not."""

    async def check() -> None:
        log = KafkaLog(KAFKA, namespace=new_namespace(), connect_timeout=10.0)
        try:
            await log.start()
        finally:
            await log.close()

    try:
        kafka_loop.call(check())
    except LogError as exc:
        reason = str(exc)
    else:
        return KAFKA
    pytest.fail(
        f"the Kafka broker at {KAFKA} ($TAPELINE_KAFKA) is not serving ({reason}). "
        "Start it with `deploy/up kafka` (CI must run that before the tests).",
        pytrace=False,
    )


@pytest.fixture
def kafka_logs(
    kafka_loop: LoopThread, kafka_bootstrap: str
) -> Iterator[Callable[..., LoopBoundLog]]:
    """A factory of fresh logs, each on its own namespace unless one is given.

    Everything it made is closed afterwards and the namespaces' topics are deleted.
    """
    made: list[KafkaLog] = []

    def make(namespace: str | None = None, **options: Any) -> LoopBoundLog:
        log = KafkaLog(kafka_bootstrap, namespace=namespace or new_namespace(), **options)
        made.append(log)
        return LoopBoundLog(log, kafka_loop)

    yield make

    async def clean_up() -> None:
        dropped: set[str] = set()
        for log in made:
            if log.namespace not in dropped:
                dropped.add(log.namespace)
                cleaner = KafkaLog(kafka_bootstrap, namespace=log.namespace)
                await cleaner.drop_namespace()
                await cleaner.close()
            await log.close()

    kafka_loop.call(clean_up())


def deploy_kafka(action: str, bootstrap: str) -> None:
    """``deploy/<action> kafka`` on the broker at ``bootstrap``, never on another one: the
    script acts on ``$TAPELINE_RUN_DIR`` and ``$TAPELINE_KAFKA_PORT``, which must be the
    ones that started the broker the tests use."""
    port = os.environ.get("TAPELINE_KAFKA_PORT", "9092")
    run_dir = Path(os.environ.get("TAPELINE_RUN_DIR", str(REPO / ".run")))
    config = run_dir / "kafka" / "server.properties"
    if bootstrap.rsplit(":", 1)[-1] != port or f":{port}" not in config.read_text():
        pytest.fail(
            f"the tests use the broker at {bootstrap} but deploy/{action} kafka would act on "
            f"port {port} with run dir {run_dir}: set $TAPELINE_KAFKA_PORT and "
            "$TAPELINE_RUN_DIR to the ones that started it",
            pytrace=False,
        )
    subprocess.run([str(REPO / "deploy" / action), "kafka"], check=True, timeout=300)

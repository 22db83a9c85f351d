"""Starting a faust worker: check the cluster first, then hand the process to faust.

Before faust starts (faust would retry a dead broker forever and quietly use a topic of
any partition count), ``preflight``:

* connects within ``connect_timeout`` or raises ``LogError`` naming the address;
* creates every topic the agents read or write with the partition counts of
  ``streams.topics`` (and the internal re-keyed topic) and every table's changelog
  (compacted), and refuses one that exists with another count: keys would land on other
  partitions. The changelogs must exist before the worker joins its group: a changelog
  faust is still creating when the group assigns ("Ignoring missing topic") left both
  workers of a fresh namespace assigned but committing nothing, about one start in five;
* folds the reference table (``streams.faust_reference``).

Supervision (``supervise``, what ``tapeline worker`` runs): the faust worker runs in a
child process that dies with its supervisor (``PR_SET_PDEATHSIG``, so a ``kill -9`` of the
worker stops both). A child that exits with an error (a write the broker refused, a
stall, a crash) is started again after a backoff (1 s doubling to 30 s, back to 1 s after
a minute of running), its RocksDB stores dropped first (they may hold rows whose changelog
writes never landed: the tables are recovered from the changelogs, the truth). A
child exiting 0 or with ``EXIT_USAGE`` (bad arguments) ends the supervisor; SIGTERM and
SIGINT are passed on to the child and end it too.

The watchdog (``watch``) covers what faust does not recover from by itself, seen after a
broker restart: a member in a stable group whose fetcher never resumes, or a rebalance
stuck in ``Consumer.wait_empty`` (cf. faust-streaming/faust#523, robinhood/faust#596,
#402). Every ``WATCHDOG_EVERY`` seconds it compares the group's committed offset of each
input partition this worker holds with its end: a partition with records waiting whose
committed offset has not moved for ``STALL_LIMIT`` seconds (or no answer from the broker
that long; table recovery that reads on counts as progress) is ``fatal``: the supervisor
restarts the worker, which rejoins the group, and the records after the last commit come
again (the agents fold them once).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from streams.agent import Agent
from streams.errors import LogError
from streams.faust_app import (
    SESSION_TIMEOUT,
    WorkerConfig,
    agent_partitions,
    build_app,
    input_topics,
    table_dir,
    topic_partitions,
)
from streams.faust_batches import fatal
from streams.faust_reference import ReferenceReader
from streams.faust_wire import BY_INSTRUMENT, app_id, changelog_topic, kafka_topic, seen_table
from streams.kafka_admin import KafkaAdmin
from streams.kafka_log import KafkaLog
from streams.topics import DEADLETTER

COMPACTED = {"cleanup.policy": "compact"}
"""A changelog keeps the last row per key (as the changelogs faust creates itself)."""


def cluster_topics(agents: Sequence[Agent[Any]]) -> set[str]:
    """Every Tapeline topic the agents read or write, and the dead-letter topic."""
    topics = {DEADLETTER}
    for agent in agents:
        topics |= set(input_topics(agent)) | set(agent.inputs)
        if agent.output_topic:
            topics.add(agent.output_topic)
        topics |= set(agent.routes.values())
    return topics


async def ensure_topics(
    bootstrap: str, namespace: str, agents: Sequence[Agent[Any]], connect_timeout: float = 10.0
) -> None:
    log = KafkaLog(bootstrap, namespace=namespace, connect_timeout=connect_timeout,
                   replication_factor=1)  # fmt: skip
    admin = KafkaAdmin(bootstrap, client_id="tapeline-preflight", request_timeout_ms=30_000,
                       retry_for=30.0)  # fmt: skip
    try:
        await log.start()  # the clear "cannot reach Kafka at ..." error
        await admin.start()
        for topic in sorted(cluster_topics(agents)):
            if topic == BY_INSTRUMENT:
                await _ensure(admin, kafka_topic(namespace, topic), topic_partitions(topic))
            else:
                await log.partitions(topic)
        for agent in agents:
            for table in (agent.name, seen_table(agent.name)):
                name = changelog_topic(namespace, table)
                await _ensure(admin, name, agent_partitions(agent), COMPACTED)
    finally:
        await admin.close()
        await log.close()


async def _ensure(
    admin: KafkaAdmin, name: str, partitions: int, config: Mapping[str, str] | None = None
) -> None:
    actual = await admin.partition_count(name)
    if actual is None:
        await admin.create_topic(name, partitions, 1, dict(config or {}))
        actual = await admin.wait_for_topic(name)
    if actual != partitions:
        raise LogError(
            f"Kafka topic {name} at {admin.bootstrap} has {actual} partitions, "
            f"this build expects {partitions}; delete it or use another namespace"
        )


def prepare(config: WorkerConfig) -> ReferenceReader | None:
    """The checks and the reference fold, on a loop of their own (before faust's)."""
    reference = None
    if config.reference is not None:
        reference = ReferenceReader(config.bootstrap, config.namespace, config.reference)

    async def checks() -> None:
        needed = [*config.agents, *([config.reference] if config.reference else [])]
        await ensure_topics(config.bootstrap, config.namespace, needed)
        if reference is not None:
            await reference.catch_up()

    asyncio.run(checks())
    return reference


WATCHDOG_EVERY = 5.0
"""Seconds between the watchdog's looks (it asks the broker only when no ack came)."""
STALL_LIMIT = 3 * SESSION_TIMEOUT
"""Seconds of records waiting with no commit moving before a worker gives up."""
EXIT_USAGE = 2
"""Exit status of bad arguments or configuration: restarting would not help."""
BACKOFF_MAX = 30.0
STEADY_RUN = 60.0
"""Seconds a child must run before the backoff starts again from 1 s."""


async def _behind(bootstrap: str, group: str, tps: list[Any]) -> dict[Any, tuple[int, int]]:
    """Per partition: (committed offset of the group, end offset)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                request_timeout_ms=10_000)  # fmt: skip
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await consumer.start()
        await admin.start()
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(group, partitions=tps)
    finally:
        await admin.close()
        await consumer.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
    return {tp: (done.get(tp, 0), ends[tp]) for tp in tps}


def watch(app: Any, config: WorkerConfig) -> None:
    """The stall watchdog (see module doc), as a faust timer of ``app``."""
    inputs = {kafka_topic(config.namespace, t) for a in config.agents for t in input_topics(a)}
    since: dict[Any, float] = {}
    """Held input partition -> when it was last caught up or its committed offset moved."""
    seen: dict[Any, int] = {}
    recovered = -1

    @app.timer(WATCHDOG_EVERY)  # type: ignore[untyped-decorator]
    async def watchdog() -> None:
        nonlocal recovered
        now = time.monotonic()
        held = {TopicPartition(tp.topic, tp.partition) for tp in app.consumer.assignment()
                if tp.topic in inputs}  # fmt: skip
        for tp in set(since) - held:
            del since[tp]
            seen.pop(tp, None)
        for tp in held:
            since.setdefault(tp, now)
        recovering = sum(app.tables.recovery.active_offsets.values())
        if app.in_recovery and recovering != recovered:
            recovered = recovering  # the tables are still being read back: progress
            since.update(dict.fromkeys(held, now))
        if not held:
            return
        try:
            offsets = await asyncio.wait_for(
                _behind(config.bootstrap, app_id(config.namespace), list(held)),
                3 * WATCHDOG_EVERY,
            )
        except Exception:
            offsets = {}  # no answer: no progress either
        for tp, (done, end) in offsets.items():
            if done >= end or done > seen.get(tp, done):
                since[tp] = now
            seen[tp] = done
        stalled = sorted(f"{tp.topic}/{tp.partition}" for tp in held
                         if now - since[tp] > STALL_LIMIT)  # fmt: skip
        if stalled:
            state = "in table recovery" if app.in_recovery else "consuming"
            fatal(f"no commit for {STALL_LIMIT:g}s with records waiting ({state}): {stalled}")


def run_worker(config: WorkerConfig, loglevel: str = "WARNING") -> None:
    """Run a worker until SIGTERM/SIGINT (faust's own signal handling); never returns."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    reference = prepare(config)
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = build_app(config, reference)
    watch(app, config)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    # The modules and the app built so far live as long as the process: out of the
    # collector's way, so full collections (pauses in a worker's loop) walk less.
    gc.collect()
    gc.freeze()
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the supervisor dies (Linux prctl)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def supervise(child: Sequence[str], data_dir: Path) -> int:
    """Run ``child`` (a worker process) until it ends cleanly; see the module doc."""
    stopping = False
    proc: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if proc is not None and proc.poll() is None:
            proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    backoff = 1.0
    while True:
        started = time.monotonic()
        proc = subprocess.Popen(child, preexec_fn=_die_with_parent)  # noqa: S603
        if stopping:
            proc.terminate()
        code = proc.wait()
        if stopping or code in (0, EXIT_USAGE):
            return code
        if time.monotonic() - started > STEADY_RUN:
            backoff = 1.0
        print(f"tapeline worker: the worker exited with status {code}; restarting in "
              f"{backoff:g}s with its tables recovered from the changelogs",
              file=sys.stderr, flush=True)  # fmt: skip
        shutil.rmtree(table_dir(data_dir), ignore_errors=True)
        time.sleep(backoff)  # a SIGTERM meanwhile ends the next child at once
        backoff = min(2 * backoff, BACKOFF_MAX)

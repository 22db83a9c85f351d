"""The Kafka engine behind `run`, `catchup`, `replay` and `query` (``--engine kafka``).

The log is the namespace's Kafka topics; the agents run in faust workers
(``tapeline worker``), started here as subprocesses when a command needs them to
process; the tables are read from the workers' changelog topics.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table as RichTable

from agents.cli.common import out
from agents.cli.display import print_rows
from agents.cli.worker_cmd import bootstrap, namespace_of
from agents.normalizer import Problem
from agents.orderflow.generator import OrderFlow
from agents.registry import build_agents, load_config
from agents.tables import TABLE_COLUMNS, TableName, View, read_rows
from schemas import MarketDataGap, Record, TapelineError
from streams.errors import LogError
from streams.kafka_log import KafkaLog
from streams.kafka_replay import live_tables, replay_kafka, wait_caught_up
from streams.records import NewRecord, new_record
from streams.topics import DEADLETTER, MD_TICKS, ORDERS_COMMANDS

APPEND_BATCH = 2000
STOP_GRACE = 30.0


class Workers:
    """``count`` worker subprocesses of one namespace, each with its own data dir.

    Each is a supervised ``tapeline worker`` (``streams.faust_worker.supervise``): a faust
    process that crashes or stalls is restarted inside it, so the pool sees only workers
    that gave up for good (bad arguments) or were killed."""

    def __init__(self, data_dir: Path, namespace: str, count: int, agents: str = "all") -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        for index in range(count):
            self.spawn(data_dir / f"worker-{index}", namespace, agents)

    def spawn(
        self, worker_dir: Path, namespace: str, agents: str = "all"
    ) -> subprocess.Popen[bytes]:
        """Start one more worker; its stderr goes to ``worker.log`` in its dir."""
        worker_dir.mkdir(parents=True, exist_ok=True)
        log = worker_dir / "worker.log"
        command = [sys.executable, "-m", "agents.cli.worker_cmd", "--agents", agents,
                   "--namespace", namespace, "--data-dir", str(worker_dir)]  # fmt: skip
        with log.open("ab") as sink:
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink)  # noqa: S603
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def check(self) -> None:
        """Raise when a worker has exited (its stderr says why)."""
        for proc, log in zip(self.procs, self.logs, strict=True):
            code = proc.poll()
            if code is not None and code != -signal.SIGKILL:
                tail = log.read_text(errors="replace")
                lines = [line for line in tail.strip().splitlines() if line.strip()]
                raise TapelineError(
                    f"a worker exited with status {code}: {lines[-1] if lines else 'no output'}"
                )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _records(items: Iterable[Record | Problem], flow: OrderFlow | None) -> Iterable[NewRecord]:
    for item in items:
        if isinstance(item, Problem):
            yield new_record(DEADLETTER, item.to_dead_letter(ts_event=0))
            continue
        yield new_record(MD_TICKS, item)
        if flow is not None and not isinstance(item, MarketDataGap):
            for command in flow.on_tick(item):
                yield new_record(ORDERS_COMMANDS, command)


async def append_all(log: KafkaLog, records: Iterable[NewRecord]) -> int:
    batch: list[NewRecord] = []
    count = 0
    for rec in records:
        batch.append(rec)
        if len(batch) >= APPEND_BATCH:
            count += len(await log.append(batch))
            batch = []
    count += len(await log.append(batch))
    return count


def run(
    data_dir: Path,
    items: Iterable[Record | Problem],
    flow: OrderFlow | None,
    namespace: str | None = None,
    workers: int = 1,
) -> None:
    """`tapeline run --engine kafka`: start workers, append the session, wait, summarise."""
    ns = namespace_of(namespace)
    agents = build_agents(load_config(data_dir))
    log = KafkaLog(bootstrap(), namespace=ns, connect_timeout=10.0)
    pool: Workers | None = None

    async def session() -> tuple[int, dict[str, Any]]:
        nonlocal pool
        try:
            await log.start()
            pool = Workers(data_dir, ns, workers)
            appended = await append_all(log, _records(items, flow))
            await wait_caught_up(log.bootstrap, ns, agents, check=pool.check)
            return appended, await live_tables(log.bootstrap, ns, agents)
        finally:
            await log.close()

    try:
        appended, tables = asyncio.run(session())
    except LogError as error:
        raise TapelineError(str(error)) from None
    finally:
        if pool is not None:
            pool.stop()
    out.print(f"appended {appended} records to namespace {ns} at {log.bootstrap}", markup=False)
    config = load_config(data_dir)
    states = {name: table.states for name, table in tables.items()}
    rows = read_rows(TableName.positions, states, config)
    print_rows("positions", rows, TABLE_COLUMNS[TableName.positions][:-1])


def catchup(data_dir: Path, namespace: str | None = None, workers: int = 1) -> None:
    """Run workers until they have consumed everything in the namespace, then stop them."""
    ns = namespace_of(namespace)
    agents = build_agents(load_config(data_dir))
    pool = Workers(data_dir, ns, workers)
    try:
        asyncio.run(wait_caught_up(bootstrap(), ns, agents, check=pool.check))
    except LogError as error:
        raise TapelineError(str(error)) from None
    finally:
        pool.stop()
    out.print(f"caught up: namespace {ns}", markup=False)


def replay_hashes(
    data_dir: Path, namespace: str | None, verify: bool
) -> tuple[dict[str, str], dict[str, str], int]:
    """Replay hashes, live hashes (when ``verify``) and the events folded."""
    ns = namespace_of(namespace)
    agents = build_agents(load_config(data_dir))

    async def both() -> tuple[dict[str, str], dict[str, str], int]:
        log = KafkaLog(bootstrap(), namespace=ns, connect_timeout=10.0)
        try:
            result = await replay_kafka(log, agents)
            live: dict[str, str] = {}
            if verify:
                tables = await live_tables(log.bootstrap, ns, agents)
                live = {name: table.hash() for name, table in sorted(tables.items())}
            return result.hashes(), live, result.events
        finally:
            await log.close()

    try:
        return asyncio.run(both())
    except LogError as error:
        raise TapelineError(str(error)) from None


def replay(data_dir: Path, namespace: str | None, verify: bool, as_json: bool) -> bool:
    """`tapeline replay --engine kafka`; returns False when ``verify`` found a difference."""
    hashes, live, events = replay_hashes(data_dir, namespace, verify)
    same = all(live.get(name) == digest for name, digest in hashes.items()) if verify else True
    if as_json:
        document: dict[str, Any] = {"tables": hashes, "events": events}
        if verify:
            document["verified"] = same
        out.print(json.dumps(document, sort_keys=True), markup=False)
    else:
        table = RichTable("table", "hash", *(("live",) if verify else ()))
        for name, digest in hashes.items():
            extra = ("same" if live.get(name) == digest else "DIFFERENT",) if verify else ()
            table.add_row(name, digest, *extra)
        out.print(table)
        out.print(f"replayed {events} events from Kafka", markup=False)
    return same


def query_tables(data_dir: Path, namespace: str | None) -> dict[str, dict[str, Any]]:
    """Every table as the workers' changelogs hold it (for `tapeline query --engine kafka`)."""
    ns = namespace_of(namespace)
    agents = build_agents(load_config(data_dir))
    try:
        tables = asyncio.run(live_tables(bootstrap(), ns, agents))
    except LogError as error:
        raise TapelineError(str(error)) from None
    return {name: table.states for name, table in tables.items()}


def query_rows(
    data_dir: Path,
    table: TableName,
    namespace: str | None,
    view: View = View.rows,
    account: str | None = None,
) -> list[dict[str, Any]]:
    return read_rows(table, query_tables(data_dir, namespace), load_config(data_dir), view, account)


__all__: Sequence[str] = ["Workers", "catchup", "query_rows", "replay", "run"]

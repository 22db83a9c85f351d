"""A cluster namespace for one test: workers, appends, tables, clean-up afterwards."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.cli.kafka_cmds import Workers, _records, append_all
from agents.normalizer import Normalizer, Problem
from agents.orderflow.generator import OrderFlow
from agents.registry import Config, build_agents
from schemas import Record
from streams.kafka_log import KafkaLog
from streams.kafka_replay import (
    drop_cluster_namespace,
    live_tables,
    replay_kafka,
    wait_caught_up,
)
from streams.records import NewRecord
from tests.streams.kafka_support import new_namespace

TERMINAL_WAIT = 240.0
"""Only a bound on failure (a dead or stuck worker): the wait ends when the data is in."""


class Cluster:
    def __init__(self, bootstrap: str, root: Path, monkeypatch: Any) -> None:
        self.bootstrap = bootstrap
        self.namespace = new_namespace()
        self.root = root
        self.agents = build_agents(Config())
        monkeypatch.setenv("TAPELINE_KAFKA", bootstrap)
        self.workers: Workers | None = None

    def start_workers(self, count: int) -> Workers:
        self.workers = Workers(self.root, self.namespace, count)
        return self.workers

    def append(self, records: Iterable[NewRecord]) -> int:
        async def go() -> int:
            log = KafkaLog(self.bootstrap, namespace=self.namespace, replication_factor=1)
            try:
                return await append_all(log, records)
            finally:
                await log.close()

        return asyncio.run(go())

    def wait(self) -> None:
        check = self.workers.check if self.workers else None
        asyncio.run(wait_caught_up(self.bootstrap, self.namespace, self.agents,
                                   TERMINAL_WAIT, check))  # fmt: skip

    def live_hashes(self) -> dict[str, str]:
        tables = asyncio.run(live_tables(self.bootstrap, self.namespace, self.agents))
        return {name: table.hash() for name, table in sorted(tables.items())}

    def replay(self) -> Any:
        async def go() -> Any:
            log = KafkaLog(self.bootstrap, namespace=self.namespace)
            try:
                return await replay_kafka(log, self.agents)
            finally:
                await log.close()

        return asyncio.run(go())

    def close(self) -> None:
        if self.workers is not None:
            self.workers.stop()
        asyncio.run(drop_cluster_namespace(self.bootstrap, self.namespace))
        shutil.rmtree(self.root, ignore_errors=True)


def binance_slice(market: Path, ticks: int, orders: int) -> list[NewRecord]:
    """The first ``ticks`` ticks of the shared Binance data with a seeded order flow."""
    config = Config()
    normalizer = Normalizer(config.registry)
    trades = market / "binance-futures_trades_BTCUSDT.tardis.csv"
    quotes = market / "binance-futures_quotes_BTCUSDT.tardis.csv"
    items: Iterator[Record | Problem] = normalizer.feed_tardis_session(trades, quotes)
    flow = OrderFlow(seed=7, orders=orders, ticks=ticks, accounts=["ACC-1", "ACC-2", "ACC-3"],
                     registry=config.registry)  # fmt: skip
    return list(_records(itertools.islice(items, ticks), flow))


@pytest.fixture
def cluster(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    """A namespace of its own, its workers stopped and its topics dropped afterwards."""
    made = Cluster(kafka_bootstrap, tmp_path / "cluster", monkeypatch)
    yield made
    made.close()

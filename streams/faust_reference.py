"""The replicated reference table of a faust worker: every worker folds all of ``md.ticks``.

The view agents decide with (latest quote per instrument) must hold every instrument on
every worker, whatever partitions the worker owns. A group-less consumer assigned all
partitions of ``md.ticks`` folds them with the reference agent's own ``evolve`` (the
tickers fold) into a ``streams.state.Table``: the same rows the tickers table holds,
replicated per worker. ``catch_up`` reads to the end before the worker starts (so the
first decisions see the market as recorded so far); ``follow`` keeps folding on the
worker's loop from where ``catch_up`` stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from streams.agent import Agent
from streams.codec import decode_payload
from streams.faust_wire import kafka_topic
from streams.state import Table
from streams.topics import MD_TICKS, TOPICS


class ReferenceReader:
    def __init__(self, bootstrap: str, namespace: str, agent: Agent[Any]) -> None:
        self.bootstrap = bootstrap
        self.agent = agent
        self.table: Table[Any] = Table(agent)
        name = kafka_topic(namespace, MD_TICKS)
        self._tps = [TopicPartition(name, p) for p in range(TOPICS[MD_TICKS].partitions)]
        self._positions: dict[Any, int] = {tp: 0 for tp in self._tps}

    def tables(self) -> dict[str, Table[Any]]:
        return {self.agent.name: self.table}

    def _consumer(self) -> Any:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_wait_ms=200,
        )

    def fold(self, batch: dict[Any, list[Any]]) -> None:
        """Fold the ticks of a ``getmany`` batch (other records are passed over)."""
        kinds, fold = self.agent.kinds, self.table.fold
        for tp, messages in batch.items():
            for msg in messages:
                head = dict(msg.headers)
                kind = head.get("kind", b"").decode()
                if kind in kinds:
                    # A bad tick is the tickers agent's dead letter; the view skips it.
                    with contextlib.suppress(Exception):
                        fold(head["event_id"].decode(), decode_payload(kind, msg.value))
                self._positions[tp] = msg.offset + 1

    async def _open(self) -> Any:
        consumer = self._consumer()
        await consumer.start()
        consumer.assign(self._tps)
        for tp in self._tps:
            consumer.seek(tp, self._positions[tp])
        return consumer

    async def catch_up(self) -> None:
        """Fold every tick recorded so far (on a loop of its own; the consumer is closed)."""
        consumer = await self._open()
        try:
            ends = await consumer.end_offsets(self._tps)
            while any(self._positions[tp] < ends[tp] for tp in self._tps):
                self.fold(await consumer.getmany(timeout_ms=1000, max_records=5000))
        finally:
            await consumer.stop()

    async def follow(self) -> None:
        """Keep folding new ticks forever (a faust app task on the worker's loop)."""
        consumer = await self._open()
        try:
            while True:
                self.fold(await consumer.getmany(timeout_ms=1000, max_records=5000))
                await asyncio.sleep(0)
        finally:
            await consumer.stop()

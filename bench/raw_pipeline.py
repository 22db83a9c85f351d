"""The faust workers' work without faust: the benchmark's second denominator.

``bench.kafka_pipeline`` compares the faust pipeline with raw aiokafka *consumption* of
the same records (fetch and unpack, nothing else). ``raw_pipeline`` does what a worker
does per record, on a bare aiokafka consumer and producer in one process: every record
of the workers' input topics, in batches (``getmany``), through the same readers
(``faust_groups.TopicGroup`` over ``faust_app.AgentWorker``s and the ``Forwarder``: the
envelope, the decode, the dedup index, the folds, the rows written once per key and
batch, the outputs and dead letters), the reference table folded from the ticks, then
every write acknowledged and the offsets committed. Its outputs and changelogs go to the
namespace ``<namespace>raw``, so the faust workers never read them.

The tables are plain dicts (``_ChangelogTable``) written to the changelog topics, and a
record is a small object with the attributes of faust's ``Message`` (``_Event``), so
the only thing not measured is faust itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from schemas.view import View
from streams.agent import Agent
from streams.errors import LogError
from streams.faust_app import (
    PRODUCER_LINGER,
    AgentWorker,
    input_topics,
    topic_partitions,
)
from streams.faust_batches import Delivery
from streams.faust_groups import Forwarder, Reader, TopicGroup, topic_groups
from streams.faust_reference import ReferenceReader
from streams.faust_wire import (
    BY_INSTRUMENT,
    app_id,
    changelog_topic,
    kafka_topic,
    record_headers,
    seen_table,
)
from streams.faust_worker import ensure_topics
from streams.kafka_replay import consumed_topics
from streams.partitioning import partition_for
from streams.records import NewRecord
from streams.runtime import ViewFactory

BATCH_MAX = 2000
"""Records per ``getmany`` (the faust agents' ``faust_batches.BATCH_MAX``)."""


IDLE_LIMIT = 30
"""Empty one-second polls in a row before the run gives up (the broker is gone)."""


@dataclass(frozen=True)
class RawRun:
    events: int
    seconds: float
    cpu_seconds: float


class _Event:
    """An aiokafka record with the attributes of faust's ``Message`` the readers use
    (``timestamp`` in seconds, as faust has it); it is its own ``message``."""

    __slots__ = ("__weakref__", "headers", "key", "offset", "partition", "timestamp",
                 "topic", "value")  # fmt: skip

    def __init__(self, record: Any) -> None:
        self.topic = record.topic
        self.partition = record.partition
        self.offset = record.offset
        self.key = record.key
        self.value = record.value
        self.headers = record.headers
        self.timestamp = record.timestamp / 1000

    @property
    def message(self) -> _Event:
        return self


class _ChangelogTable:
    """An agent's table as a dict, each write also sent to its changelog topic."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return self.data.items()


class _Producer:
    """Outputs laid out as ``faust_app.Emitter`` sends them, and table writes."""

    def __init__(self, producer: Any, namespace: str) -> None:
        self.producer = producer
        self.namespace = namespace

    async def send(self, rec: NewRecord) -> Delivery:
        partition = partition_for(rec.key, topic_partitions(rec.topic))
        delivery: Delivery = await self.producer.send(
            kafka_topic(self.namespace, rec.topic), rec.payload, key=rec.key.encode(),
            partition=partition, headers=record_headers(rec),
        )  # fmt: skip
        return delivery

    async def write(self, table: Any, event: Any, key: bytes, value: bytes) -> Delivery:
        table.data[key] = value
        delivery: Delivery = await self.producer.send(
            table.topic, value, key=key, partition=event.message.partition
        )
        return delivery


async def raw_pipeline(
    bootstrap: str,
    namespace: str,
    agents: Sequence[Agent[Any]],
    reference: Agent[Any],
    view_factory: ViewFactory,
) -> RawRun:
    """Every record of ``namespace``'s input topics through ``agents`` (module doc)."""
    out = f"{namespace}raw"
    await ensure_topics(bootstrap, out, [*agents, reference])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                acks="all", linger_ms=int(PRODUCER_LINGER * 1000))  # fmt: skip
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=app_id(out),
                                enable_auto_commit=False, max_poll_records=BATCH_MAX)  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        sink = _Producer(producer, out)
        ticks = ReferenceReader(bootstrap, namespace, reference)
        view: View = view_factory(ticks.tables())
        groups = _groups(agents, sink, lambda: view, namespace, out)
        routes = {kafka_topic(namespace, t): (t, g) for topics, g in groups for t in topics}
        tps = [TopicPartition(name, p) for name, (topic, _) in sorted(routes.items())
               for p in range(topic_partitions(topic))]  # fmt: skip
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        left = sum((await consumer.end_offsets(tps)).values())
        events = 0
        started, cpu = time.perf_counter(), time.process_time()
        idle = 0
        while events < left:
            batch = await consumer.getmany(timeout_ms=1000, max_records=BATCH_MAX)
            idle = 0 if batch else idle + 1
            if idle >= IDLE_LIMIT:
                raise LogError(f"the raw pipeline read {events} of {left} records, then none")
            ticks.fold(batch)
            by_group: dict[int, list[_Event]] = {}
            for tp, records in batch.items():
                by_group.setdefault(id(routes[tp.topic][1]), []).extend(map(_Event, records))
                events += len(records)
            deliveries: list[Delivery] = []
            for _, group in groups:
                if id(group) in by_group:
                    deliveries.extend(await group.fold(by_group[id(group)]))
            await asyncio.gather(*deliveries)
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        return RawRun(events, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        await consumer.stop()
        await producer.stop()


def _groups(
    agents: Sequence[Agent[Any]], sink: _Producer, view: Any, namespace: str, out: str
) -> list[tuple[list[str], TopicGroup]]:
    """The readers of ``faust_app.build_app`` in the same groups, over dict tables."""
    readers: list[Reader] = []
    for agent in agents:
        rows = _ChangelogTable(changelog_topic(out, agent.name))
        seen = _ChangelogTable(changelog_topic(out, seen_table(agent.name)))
        readers.append(AgentWorker(agent, sink, view, rows, seen, sink.write))
    rekeyed = frozenset().union(*(a.kinds for a in agents if BY_INSTRUMENT in input_topics(a)))
    if rekeyed:
        readers.append(Forwarder(sink, rekeyed))
    assert {t for r in readers for t in r.topics} <= consumed_topics(agents)
    return [
        (topics, TopicGroup({kafka_topic(namespace, t): t for t in topics}, members))
        for topics, members in topic_groups(readers)
    ]

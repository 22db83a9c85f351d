"""Replay, live tables and catch-up on the Kafka engine.

* ``replay_kafka``: every replayable agent's ``replay_topics`` read from offset 0 of each
  partition with ``KafkaLog``, folded with the same ``Table.fold`` as the embedded
  replay. A key lives on one partition, so per key the fold order is the log's order and
  the per-table hashes equal the embedded replay's for the same records.
* ``live_tables``: the faust workers' tables as their changelog topics hold them (the
  last row per key), read without any worker running.
* ``wait_caught_up``: true once the workers' consumer group has committed every input
  partition to its end. faust flushes its outputs before it commits, so ends read
  before and after the committed offsets that all agree mean nothing is in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from streams.agent import Agent
from streams.codec import decode_payload
from streams.errors import LogError
from streams.faust_app import agent_partitions, input_topics, topic_partitions
from streams.faust_wire import BY_INSTRUMENT, app_id, changelog_topic, decode_row, kafka_topic
from streams.kafka_log import KafkaLog
from streams.records import LogRecord
from streams.replay import ReplayResult
from streams.state import Table
from streams.topics import ORDERS_EVENTS

READ_BATCH = 5000


async def replay_kafka(log: KafkaLog, agents: Sequence[Agent[Any]]) -> ReplayResult:
    """Fold every replayable agent's recorded events from the start of its topics.

    A message that is not a Tapeline record (no envelope) counts as an error of every
    table replaying its topic, as the live workers dead-lettered it once per reader."""
    replayable = [agent for agent in agents if agent.replayable]
    tables: dict[str, Table[Any]] = {agent.name: Table(agent) for agent in replayable}
    routes: dict[tuple[str, str], list[Table[Any]]] = {}
    for agent in replayable:
        for topic in agent.replay_topics:
            for kind in agent.replay_kinds:
                routes.setdefault((topic, kind), []).append(tables[agent.name])
    result = ReplayResult(tables)
    events = 0
    for topic in sorted({topic for topic, _ in routes}):
        readers = [tables[a.name] for a in replayable if topic in a.replay_topics]
        ends = await log.end_offsets(topic)
        for partition, end in sorted(ends.items()):
            async for rec in _records(log, topic, partition, end):
                if rec is None:
                    for table in readers:
                        _count_error(result, table)
                    continue
                targets = routes.get((topic, rec.kind))
                if not targets:
                    continue
                events += 1
                try:
                    event = decode_payload(rec.kind, rec.payload)
                    for table in targets:
                        _fold(table, rec.event_id, event, result)
                except Exception:
                    for table in targets:
                        _count_error(result, table)
    result.events = events
    return result


async def _records(
    log: KafkaLog, topic: str, partition: int, end: int
) -> AsyncIterator[LogRecord | None]:
    """The partition's records up to ``end``, ``None`` for a message that is not one."""
    offset = 0
    unreadable: list[int] = []
    while offset < end:
        unreadable.clear()
        records = await log.read(
            topic,
            partition,
            offset,
            min(READ_BATCH, end - offset),
            on_corrupt=lambda at, _error: unreadable.append(at),
        )
        if not records and not unreadable:
            return
        for _ in unreadable:
            yield None
        for rec in records:
            yield rec
        offset = max([rec.offset for rec in records[-1:]] + unreadable) + 1


def _fold(table: Table[Any], event_id: str, event: Any, result: ReplayResult) -> None:
    try:
        table.fold(event_id, event)
    except Exception:  # the live worker dead-lettered the same record
        _count_error(result, table)


def _count_error(result: ReplayResult, table: Table[Any]) -> None:
    name = table.agent.name
    result.errors[name] = result.errors.get(name, 0) + 1


def _consumer(bootstrap: str) -> Any:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        fetch_max_wait_ms=100,
    )


async def live_tables(
    bootstrap: str, namespace: str, agents: Sequence[Agent[Any]]
) -> dict[str, Table[Any]]:
    """Each replayable agent's live table, read from its faust changelog topic."""
    replayable = [agent for agent in agents if agent.replayable]
    tables: dict[str, Table[Any]] = {agent.name: Table(agent) for agent in replayable}
    consumer = _consumer(bootstrap)
    await consumer.start()
    try:
        for agent in replayable:
            name = changelog_topic(namespace, agent.name)
            if name not in await consumer.topics():  # refreshes the metadata
                continue  # no worker ever wrote this table
            tps = [TopicPartition(name, p) for p in range(agent_partitions(agent))]
            rows: dict[bytes, bytes | None] = {}
            await _read_to_end(consumer, tps, rows)
            table = tables[agent.name]
            for key, value in rows.items():
                if value is not None:
                    table.load_row(key.decode(), decode_row(value)[0])
    finally:
        await consumer.stop()
    return tables


async def _read_to_end(consumer: Any, tps: list[Any], rows: dict[bytes, bytes | None]) -> None:
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    positions = {tp: await consumer.position(tp) for tp in tps}
    while any(positions[tp] < ends[tp] for tp in tps):
        batch = await consumer.getmany(timeout_ms=1000, max_records=READ_BATCH)
        for tp, messages in batch.items():
            for msg in messages:
                rows[msg.key] = msg.value
            positions[tp] = await consumer.position(tp)


def consumed_topics(agents: Sequence[Agent[Any]]) -> set[str]:
    """Every topic the workers' consumer group reads (the forwarder reads orders.events)."""
    topics: set[str] = set()
    for agent in agents:
        topics |= set(input_topics(agent))
    if BY_INSTRUMENT in topics:
        topics.add(ORDERS_EVENTS)
    return topics


async def lag(bootstrap: str, namespace: str, agents: Sequence[Agent[Any]]) -> int | None:
    """Records not yet committed by the workers; None while outputs are still landing."""
    names = [kafka_topic(namespace, t) for t in sorted(consumed_topics(agents))]
    tps = [
        TopicPartition(name, p)
        for name, topic in zip(names, sorted(consumed_topics(agents)), strict=True)
        for p in range(topic_partitions(topic))
    ]
    consumer = _consumer(bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        before = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(app_id(namespace))
        after = await consumer.end_offsets(tps)
    except KafkaError as error:
        if not getattr(error, "retriable", False):
            raise
        # A fresh broker creates __consumer_offsets on first use: until its group
        # coordinator is up the answer is "not available"; ask again at the next poll.
        return None
    finally:
        await admin.close()
        await consumer.stop()
    if before != after:
        return None
    behind = 0
    for tp in tps:
        done = committed.get(tp)
        behind += before[tp] - (done.offset if done is not None and done.offset >= 0 else 0)
    return behind


async def wait_caught_up(
    bootstrap: str,
    namespace: str,
    agents: Sequence[Agent[Any]],
    give_up_after: float = 300.0,
    check: Callable[[], None] | None = None,
) -> None:
    """Return once the workers have consumed and committed everything in their topics.

    ``check`` is called between polls; it raises to stop waiting (a worker that died).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    last: int | None = None
    while True:
        last = await lag(bootstrap, namespace, agents)
        if last == 0:
            return
        if check is not None:
            check()
        if loop.time() > deadline:
            raise LogError(
                f"the workers of namespace {namespace} at {bootstrap} are still "
                f"{last if last is not None else 'some'} records behind after "
                f"{give_up_after:g}s; are they running?"
            )
        await asyncio.sleep(0.25)


def expected_partitions(agent: Agent[Any]) -> int:
    return agent_partitions(agent)


async def drop_cluster_namespace(bootstrap: str, namespace: str) -> list[str]:
    """Delete a namespace's topics and its workers' faust topics (tests, throwaway runs)."""
    if not namespace:
        raise LogError("dropping a namespace needs a namespace: it would delete every topic")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        prefixes = (f"{namespace}.", f"{app_id(namespace)}-")
        names = [n for n in await admin.list_topics() if n.startswith(prefixes)]
        if names:
            await admin.delete_topics(names)
        return sorted(names)
    finally:
        await admin.close()

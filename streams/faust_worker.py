"""Starting a faust worker: check the cluster first, then hand the process to faust.

Before faust starts (faust would retry a dead broker forever and quietly use a topic of
any partition count), ``preflight``:

* connects within ``connect_timeout`` or raises ``LogError`` naming the address;
* creates every topic the agents read or write with the partition counts of
  ``streams.topics`` (and the internal re-keyed topic), and refuses a topic, or a table's
  changelog, that exists with another count: keys would land on other partitions;
* folds the reference table (``streams.faust_reference``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import faust

from streams.agent import Agent
from streams.errors import LogError
from streams.faust_app import (
    WorkerConfig,
    agent_partitions,
    build_app,
    input_topics,
    topic_partitions,
)
from streams.faust_reference import ReferenceReader
from streams.faust_wire import BY_INSTRUMENT, changelog_topic, kafka_topic, seen_table
from streams.kafka_admin import KafkaAdmin
from streams.kafka_log import KafkaLog
from streams.topics import DEADLETTER


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
                actual = await admin.partition_count(name)
                if actual is not None and actual != agent_partitions(agent):
                    raise LogError(
                        f"Kafka topic {name} at {bootstrap} has {actual} partitions, this "
                        f"build expects {agent_partitions(agent)}; use another namespace"
                    )
    finally:
        await admin.close()
        await log.close()


async def _ensure(admin: KafkaAdmin, name: str, partitions: int) -> None:
    actual = await admin.partition_count(name)
    if actual is None:
        await admin.create_topic(name, partitions, 1, {})
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


def run_worker(config: WorkerConfig, loglevel: str = "WARNING") -> None:
    """Run a worker until SIGTERM/SIGINT (faust's own signal handling); never returns."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    reference = prepare(config)
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = build_app(config, reference)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()

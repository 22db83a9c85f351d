"""Cluster mode: the same agents as faust-streaming agents over Kafka.

One faust ``App`` per worker process (id ``tapeline-<namespace>``, which is also the
consumer group, so workers started with the same namespace share the partitions). Per
Tapeline agent: a faust agent over its input topics (raw bytes + the envelope headers of
``KafkaLog``) and two faust Tables, changelogged to Kafka:

* ``<agent>``: row per state key = ``encode_row(encode_state(state), offsets)``, where
  ``offsets`` is, per input partition, the offset of the last record folded into that
  key (``streams.faust_wire``). A small decoded cache saves a JSON decode per event; it
  is checked against the stored bytes so a row that moved between workers is re-read.
* ``<agent>-seen``: event id -> ``b"<topic>/<partition>@<offset>"`` of the record that
  first carried it, so a record appended twice (a repeated ``exec_id``) folds once.

Processing guarantee: ``at_least_once``, not ``exactly_once``. faust-streaming's
transactional mode has open reports of workers hanging in table recovery
(faust-streaming/faust#47), duplicated output on rebalance (#323), duplicates despite
exactly_once (#517), a crash at start (#440) and lost table updates after kill -9
(robinhood/faust#340). With at_least_once faust flushes the producer (outputs and
changelogs) before it commits an input offset, so a crash can only make records after
the last commit come again. A redelivered record is recognised by the offset stored in
its key's own row (one changelog message: state and offset change together); a record
whose row says it is new but whose event id was seen at *another* position is a
duplicate event and is skipped. Outputs carry the embedded runtime's event ids
(``streams.records.output_event_id``) so a re-sent output is a duplicate downstream.

Reference data (latest quote per instrument, the ``view``) is a replicated copy of the
tickers table that every worker folds itself from all partitions of ``md.ticks`` with a
group-less consumer (``streams.faust_reference``) rather than a faust GlobalTable, whose
multi-worker behaviour has open reports (faust-streaming/faust#283).

Agents keyed by instrument that read the account-keyed ``orders.events`` (venue,
exeq-analyzer) read it re-keyed by instrument through the internal topic
``orders.events.by-instrument`` (same partition count and murmur2 partitioner as
``md.ticks``), written by one forwarding faust agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from schemas import Record
from schemas.view import View
from streams.agent import Agent
from streams.codec import decode_payload, fact_id
from streams.faust_reference import ReferenceReader
from streams.faust_wire import (
    BY_INSTRUMENT,
    BY_INSTRUMENT_PARTITIONS,
    app_id,
    decode_row,
    encode_row,
    kafka_topic,
    message_record,
    record_headers,
    seen_table,
)
from streams.partitioning import partition_for
from streams.records import LogRecord, NewRecord, new_record, output_event_id
from streams.runtime import NoReferenceData, ViewFactory, dead_letter_for
from streams.state import Table, encode_state
from streams.topics import INSTRUMENT_PARTITIONS, MD_TICKS, ORDERS_EVENTS, TOPICS

SESSION_TIMEOUT = 10.0
"""Seconds until the group gives a silent worker's partitions to the others."""
COMMIT_INTERVAL = 0.5
"""Seconds between offset commits (faust's default 2.8 s makes catch-up checks slow)."""


@dataclass(frozen=True)
class WorkerConfig:
    namespace: str
    bootstrap: str
    agents: Sequence[Agent[Any]]
    """The agents this worker runs (every worker of a namespace should run the same set)."""
    data_dir: Path
    """This worker's own directory (RocksDB files); two workers never share one."""
    view_factory: ViewFactory | None = None
    reference: Agent[Any] | None = None
    """The agent whose table is the view (tickers); folded locally from ``md.ticks``."""
    store: str = "rocksdb://"


def input_topics(agent: Agent[Any]) -> tuple[str, ...]:
    """The topics an agent reads in cluster mode (``orders.events`` re-keyed if needed)."""
    if ORDERS_EVENTS in agent.inputs and MD_TICKS in agent.inputs:
        return tuple(BY_INSTRUMENT if t == ORDERS_EVENTS else t for t in agent.inputs)
    return agent.inputs


def topic_partitions(topic: str) -> int:
    return BY_INSTRUMENT_PARTITIONS if topic == BY_INSTRUMENT else TOPICS[topic].partitions


def agent_partitions(agent: Agent[Any]) -> int:
    counts = {topic_partitions(t) for t in input_topics(agent)}
    if len(counts) != 1:
        raise ValueError(f"agent {agent.name}: inputs are not co-partitioned ({counts})")
    return counts.pop()


class Emitter:
    """Sends records exactly as ``KafkaLog.append`` lays them out; failures crash the app."""

    def __init__(self, app: Any, namespace: str) -> None:
        self.app = app
        self.namespace = namespace
        self.failure: BaseException | None = None
        self._crash: asyncio.Future[Any] | None = None

    async def send(self, rec: NewRecord) -> None:
        partition = partition_for(rec.key, topic_partitions(rec.topic))
        future = await self.app.producer.send(
            kafka_topic(self.namespace, rec.topic),
            rec.key.encode(),
            rec.payload,
            partition,
            None,
            record_headers(rec),
        )
        future.add_done_callback(self._check)

    def _check(self, future: asyncio.Future[Any]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is not None and self.failure is None:
            self.failure = error
            self._crash = asyncio.ensure_future(self.app.crash(error))


class AgentWorker:
    """One Tapeline agent inside a faust worker: dedup, state rows, outputs, dead letters."""

    def __init__(
        self, app: Any, agent: Agent[Any], emitter: Emitter, view: Callable[[], View]
    ) -> None:
        self.agent = agent
        self.emitter = emitter
        self.view = view
        parts = agent_partitions(agent)
        # bytes keys and values: faust picks its "raw" serializer (no JSON round trip).
        options: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "partitions": parts}
        self.rows = app.Table(agent.name, **options)
        self.seen = app.Table(seen_table(agent.name), **options)
        self._decoder = Table(agent)._decoder
        self._cache: dict[bytes, tuple[bytes, Any, dict[str, int]]] = {}
        self.names = {kafka_topic(emitter.namespace, t): t for t in input_topics(agent)}

    def _load(self, key: bytes) -> tuple[Any | None, dict[str, int]]:
        value = self.rows.get(key)
        if value is None:
            self._cache.pop(key, None)
            return None, {}
        cached = self._cache.get(key)
        if cached is not None and cached[0] == value:
            return cached[1], cached[2]
        state_bytes, offsets = decode_row(value)
        state = self._decoder.decode(state_bytes)
        self._cache[key] = (value, state, offsets)
        return state, offsets

    def _store(self, key: bytes, state: Any, offsets: dict[str, int]) -> None:
        value = encode_row(encode_state(state), offsets)
        self.rows[key] = value
        self._cache[key] = (value, state, offsets)

    async def handle(self, message: Any) -> None:
        topic = self.names.get(message.topic, message.topic)
        try:
            rec = message_record(topic, message)
        except Exception as error:
            await self.emitter.send(self._dead(_stub(topic, message), error))
            return
        if rec.kind not in self.agent.kinds:
            return
        try:
            await self._apply(rec)
        except Exception as error:  # a bug or a corrupt record: park it, go on
            self._cache.clear()
            await self.emitter.send(self._dead(rec, error))

    def _dead(self, rec: LogRecord, error: BaseException) -> NewRecord:
        return dead_letter_for(self.agent.name, rec, error)

    async def _apply(self, rec: LogRecord) -> None:
        agent = self.agent
        source = f"{rec.topic}/{rec.partition}"
        here = f"{source}@{rec.offset}".encode()
        payload = decode_payload(rec.kind, rec.payload)
        event_id = fact_id(rec.event_id, payload).encode()
        first_seen = self.seen.get(event_id)
        if first_seen is not None and first_seen != here:
            return  # the same event again, at another place in the log
        key_text = agent.state_key(payload)
        key = key_text.encode()
        state, offsets = self._load(key)
        if offsets.get(source, -1) >= rec.offset:
            if first_seen is None:  # the row's write landed, the seen id's did not
                self.seen[event_id] = here
            return  # redelivered after a crash: already in the state
        if state is None:
            state = agent.initial(key_text)
        outputs: list[NewRecord] = []
        if agent.process is not None:
            state, events = agent.process(state, payload, self.view())
            outputs = [self._record(rec, i, e) for i, e in enumerate(events)]
            folded = True
        elif agent.decide is not None:
            assert agent.evolve is not None
            folded = self.rows.get(key) is not None
            for index, event in enumerate(agent.decide(state, payload, self.view())):
                out = self._record(rec, index, event)
                if out.topic == agent.output_topic:
                    state = agent.evolve(state, decode_payload(out.kind, out.payload))
                    folded = True
                outputs.append(out)
        else:
            assert agent.evolve is not None
            state = agent.evolve(state, payload)
            folded = True
        self.seen[event_id] = here
        for out in outputs:
            await self.emitter.send(out)
        if folded:
            self._store(key, state, {**offsets, source: rec.offset})

    def _record(self, cause: LogRecord, index: int, event: Record) -> NewRecord:
        return new_record(
            self.agent.topic_for(event.KIND),
            event,
            event_id=output_event_id(self.agent.name, cause.event_id, index, event),
            causation_id=cause.event_id,
            correlation_id=cause.correlation_id or cause.event_id,
        )


def _stub(topic: str, message: Any) -> LogRecord:
    place = f"{message.topic}/{message.partition}@{message.offset}"
    value = message.value if isinstance(message.value, bytes) else b""
    return LogRecord(-1, topic, message.partition, message.offset, "", "?", 0, place, 0, 0,
                     None, None, value)  # fmt: skip


def _raw_topic(app: Any, names: Sequence[str], partitions: int) -> Any:
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def _forwarder(app: Any, namespace: str, emitter: Emitter, kinds: frozenset[str]) -> None:
    """``orders.events`` -> ``orders.events.by-instrument``, envelope unchanged."""
    source = _raw_topic(
        app, [kafka_topic(namespace, ORDERS_EVENTS)], TOPICS[ORDERS_EVENTS].partitions
    )

    async def forward(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                rec = message_record(ORDERS_EVENTS, message)
                if rec.kind not in kinds:
                    continue
                instrument = str(decode_payload(rec.kind, rec.payload).instrument)
            except Exception as error:
                await emitter.send(
                    dead_letter_for("repartition", _stub(ORDERS_EVENTS, message), error)
                )
                continue
            await emitter.send(
                NewRecord(BY_INSTRUMENT, instrument, rec.kind, rec.schema_version, rec.event_id,
                          rec.ts_event, rec.payload, rec.causation_id, rec.correlation_id)
            )  # fmt: skip

    app.agent(source, name="repartition-by-instrument")(forward)


def build_app(config: WorkerConfig, reference: ReferenceReader | None) -> Any:
    """The faust app of one worker, with an agent per Tapeline agent (see module doc)."""
    app = faust.App(
        app_id(config.namespace),
        broker=f"kafka://{config.bootstrap}",
        store=config.store,
        datadir=str(config.data_dir),
        topic_partitions=INSTRUMENT_PARTITIONS,
        topic_replication_factor=1,
        topic_allow_declare=True,
        web_enabled=False,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=COMMIT_INTERVAL,
        table_standby_replicas=0,
        # A worker killed with -9 leaves the group after this many seconds, not faust's 60.
        broker_session_timeout=SESSION_TIMEOUT,
        broker_heartbeat_interval=1.0,
        autodiscover=False,
    )
    emitter = Emitter(app, config.namespace)
    view: View = NoReferenceData()
    if reference is not None and config.view_factory is not None:
        view = config.view_factory(reference.tables())

    def current_view() -> View:
        return view

    rekeyed: set[str] = set()
    for agent in config.agents:
        worker = AgentWorker(app, agent, emitter, current_view)
        topics = input_topics(agent)
        if BY_INSTRUMENT in topics:
            rekeyed |= agent.kinds
        channel = _raw_topic(app, [kafka_topic(config.namespace, t) for t in topics],
                             agent_partitions(agent))  # fmt: skip
        app.agent(channel, name=f"agent-{agent.name}")(_consumer(worker))
    if rekeyed:
        _forwarder(app, config.namespace, emitter, frozenset(rekeyed))
    if reference is not None:
        app.task(reference.follow)
    return app


def _consumer(worker: AgentWorker) -> Callable[[Any], Any]:
    async def consume(stream: Any) -> None:
        async for event in stream.events():
            await worker.handle(event.message)

    return consume


def tables_of(agents: Sequence[Agent[Any]]) -> Mapping[str, Agent[Any]]:
    """The live faust tables that hold Tapeline tables (replayable agents)."""
    return {agent.name: agent for agent in agents if agent.replayable}

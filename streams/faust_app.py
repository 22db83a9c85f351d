"""Cluster mode: the same agents as faust-streaming agents over Kafka.

One faust ``App`` per worker process (id ``tapeline-<namespace>``, which is also the
consumer group, so workers started with the same namespace share the partitions). One
faust agent per group of input topics (raw bytes + the envelope headers of ``KafkaLog``)
hands each record to every Tapeline agent that reads it (``streams.faust_groups``: faust's
per-record plumbing is paid once per record, not once per agent). Per Tapeline agent
(``AgentWorker``), two faust Tables, changelogged to Kafka:

* ``<agent>``: row per state key = ``encode_row(encode_state(state), offsets)``, where
  ``offsets`` is, per input partition, the offset of the last record folded into that
  key (``streams.faust_wire``). Decoded rows are cached until the next rebalance (a row
  that moved between workers is then re-read from the store).
* ``<agent>-seen``: per batch and source partition, ``b"<topic>/<partition>@<first>"`` ->
  ``{fact id: offset}`` of the records that first carried those ids, so a record
  appended twice (a repeated ``exec_id``) folds once. Read into one in-memory index
  (fact id -> place) on the first batch after a rebalance.

Records are folded in batches (``Batches``: whatever piled up since the last one); a
batch writes each touched key's row once and its new fact ids once per source partition,
so the changelogs carry one message per key per batch, not two per event.

Processing guarantee: ``at_least_once``, not ``exactly_once``. faust-streaming's
transactional mode has open reports of workers hanging in table recovery
(faust-streaming/faust#47), duplicated output on rebalance (#323), duplicates despite
exactly_once (#517), a crash at start (#440) and lost table updates after kill -9
(robinhood/faust#340). A batch's records are acked only once the broker acknowledged
every write of the batch (outputs and changelog rows; faust's own flush before a commit
does not guarantee that, see ``faust_batches``), and a write that fails stops the worker
for a restart, so a crash or a broker restart can only make records after the last
commit come again. A redelivered record is recognised by the offset stored in
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
``md.ticks``), written by a forwarding reader of ``orders.events`` (``Forwarder``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import Record
from schemas.view import View
from streams.agent import Agent
from streams.codec import decode_payload
from streams.faust_batches import (
    Batches,
    Delivery,
    clear_current_event,
    put,
    set_current_event,
)
from streams.faust_groups import (
    Forwarder,
    Payload,
    Reader,
    Sender,
    TopicGroup,
    stub_record,
    topic_groups,
)
from streams.faust_reference import ReferenceReader
from streams.faust_transport import App
from streams.faust_wire import (
    BY_INSTRUMENT,
    BY_INSTRUMENT_PARTITIONS,
    app_id,
    decode_row,
    decode_seen,
    encode_row,
    encode_seen,
    kafka_topic,
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
PRODUCER_LINGER = 0.002
"""Seconds the producer gathers sends into one request (outputs and changelogs)."""


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


def table_dir(data_dir: Path) -> Path:
    """Where a worker keeps its RocksDB stores: a cache of the changelogs, dropped by the
    supervisor after a crash (it may hold rows whose changelog writes never landed)."""
    return data_dir / "tables"


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
    """Sends records exactly as ``KafkaLog.append`` lays them out; returns the delivery
    (the batch is acked once it succeeded, see ``faust_batches``)."""

    def __init__(self, app: Any, namespace: str) -> None:
        self.app = app
        self.namespace = namespace

    async def send(self, rec: NewRecord) -> Delivery:
        partition = partition_for(rec.key, topic_partitions(rec.topic))
        delivery: Delivery = await self.app.producer.send(
            kafka_topic(self.namespace, rec.topic),
            rec.key.encode(),
            rec.payload,
            partition,
            None,
            record_headers(rec),
        )
        return delivery


Write = Callable[[Any, Any, bytes, bytes], Awaitable[Delivery]]
"""``write(table, event, key, value)``: a table row in ``event``'s partition, and the
delivery of its changelog message (``faust_batches.put``)."""


class _Batch:
    """What one batch changes: rows (written once per key), seen ids, outputs."""

    def __init__(self) -> None:
        self.rows: dict[bytes, Any] = {}
        """Key -> the event whose partition the row is written under (its last one)."""
        self.seen: dict[str, tuple[Any, dict[str, int]]] = {}
        """Source partition -> (its last event, fact id -> offset of the new ids)."""
        self.outputs: list[NewRecord] = []


class AgentWorker:
    """One Tapeline agent inside a faust worker: dedup, state rows, outputs, dead letters.

    Records come in batches from the faust agent of its topic group (a ``Reader`` of
    ``faust_groups``); a batch is folded in memory, then each touched key's row is
    written once and the new event ids once per source partition, and the outputs are
    handed to the producer; ``finish`` returns their deliveries, and the batch is acked
    once they all succeeded (``faust_batches``).
    """

    def __init__(
        self,
        agent: Agent[Any],
        emitter: Sender,
        view: Callable[[], View],
        rows: Any,
        seen: Any,
        write: Write = put,
    ) -> None:
        """``rows``/``seen``: the agent's two tables (``get``, ``items``), written with
        ``write`` (faust tables and ``faust_batches.put`` in a worker; dicts and its own
        ``write`` in ``bench.raw_pipeline``)."""
        self.agent = agent
        self.emitter = emitter
        self.view = view
        self.rows = rows
        self.seen = seen
        self.write = write
        self._decoder = Table(agent)._decoder
        self._cache: dict[bytes, tuple[Any | None, dict[str, int]]] = {}
        """Decoded rows of the partitions this worker owns (valid until a rebalance)."""
        self._index: dict[str, str] | None = None
        """Fact id -> ``<topic>/<partition>@<offset>`` of every id in ``seen`` (lazy)."""
        self._stale = False
        self.topics = input_topics(agent)
        self._batch = _Batch()

    @classmethod
    def in_app(
        cls, app: Any, agent: Agent[Any], emitter: Sender, view: Callable[[], View]
    ) -> AgentWorker:
        """The worker of ``agent`` over two faust tables of ``app``, changelogged."""
        # bytes keys and values: faust picks its "raw" serializer (no JSON round trip).
        options: dict[str, Any] = {
            "key_type": bytes,
            "value_type": bytes,
            "partitions": agent_partitions(agent),
        }
        rows = app.Table(agent.name, **options)
        seen = app.Table(seen_table(agent.name), **options)
        worker = cls(agent, emitter, view, rows, seen)
        for signal in (app.on_partitions_revoked, app.on_partitions_assigned,
                       app.on_rebalance_complete):  # fmt: skip
            signal.connect(worker._on_rebalance)
        return worker

    async def _on_rebalance(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        # Another worker may have written our rows meanwhile: the next batch re-reads them
        # (the last of these signals comes once the tables are recovered).
        self._stale = True

    def _seen_index(self) -> dict[str, str]:
        if self._index is None:
            index: dict[str, str] = {}
            for key, value in self.seen.items():
                source = key.decode().rpartition("@")[0]
                for fact, offset in decode_seen(value).items():
                    index[fact] = f"{source}@{offset}"
            self._index = index
        return self._index

    def _load(self, key: bytes) -> tuple[Any | None, dict[str, int]]:
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        value = self.rows.get(key)
        if value is None:
            loaded: tuple[Any | None, dict[str, int]] = (None, {})
        else:
            state_bytes, offsets = decode_row(value)
            loaded = (self._decoder.decode(state_bytes), offsets)
        self._cache[key] = loaded
        return loaded

    def begin(self) -> None:
        if self._stale:
            self._stale = False
            self._cache.clear()
            self._index = None
        self._batch = _Batch()

    def corrupt(self, topic: str, message: Any, error: Exception) -> None:
        self._batch.outputs.append(self._dead(stub_record(topic, message), error))

    def take(self, rec: LogRecord, event: Any, payload: Payload) -> None:
        if rec.kind not in self.agent.kinds:
            return
        try:
            self._apply(rec, event, payload, self._batch)
        except Exception as error:  # a bug or a corrupt record: park it, go on
            self._batch.outputs.append(self._dead(rec, error))

    async def finish(self) -> list[Delivery]:
        batch = self._batch
        deliveries = [await self.emitter.send(out) for out in batch.outputs]
        for key, event in batch.rows.items():
            state, offsets = self._cache[key]
            assert state is not None, "a folded key has a state"
            row = encode_row(encode_state(state), offsets)
            deliveries.append(await self.write(self.rows, event, key, row))
        for source, (event, ids) in batch.seen.items():
            name = f"{source}@{min(ids.values())}".encode()
            set_current_event(event)  # the store reads the current event's partition
            earlier = self.seen.get(name)  # a redelivered batch may start at the same offset
            merged = {**(decode_seen(earlier) if earlier else {}), **ids}
            deliveries.append(await self.write(self.seen, event, name, encode_seen(merged)))
        clear_current_event()
        self._batch = _Batch()
        return deliveries

    def _dead(self, rec: LogRecord, error: BaseException) -> NewRecord:
        return dead_letter_for(self.agent.name, rec, error)

    def _apply(self, rec: LogRecord, event: Any, decoded: Payload, batch: _Batch) -> None:
        agent = self.agent
        source = f"{rec.topic}/{rec.partition}"
        here = f"{source}@{rec.offset}"
        payload = decoded.value()
        fact = decoded.fact()
        index = self._seen_index()
        first_seen = index.get(fact)
        if first_seen is not None and first_seen != here:
            return  # the same event again, at another place in the log
        key_text = agent.state_key(payload)
        key = key_text.encode()
        state, offsets = self._load(key)
        if offsets.get(source, -1) >= rec.offset:
            if first_seen is None:  # the row's write landed, the seen id's did not
                self._mark_seen(batch, event, source, fact, rec.offset)
            return  # redelivered after a crash: already in the state
        folded = state is not None
        if state is None:
            state = agent.initial(key_text)
        outputs: list[NewRecord] = []
        if agent.process is not None:
            state, events = agent.process(state, payload, self.view())
            outputs = [self._record(rec, i, e) for i, e in enumerate(events)]
            folded = True
        elif agent.decide is not None:
            assert agent.evolve is not None
            for i, decided in enumerate(agent.decide(state, payload, self.view())):
                out = self._record(rec, i, decided)
                if out.topic == agent.output_topic:
                    state = agent.evolve(state, decode_payload(out.kind, out.payload))
                    folded = True
                outputs.append(out)
        else:
            assert agent.evolve is not None
            state = agent.evolve(state, payload)
            folded = True
        self._mark_seen(batch, event, source, fact, rec.offset)
        batch.outputs.extend(outputs)
        if folded:
            self._cache[key] = (state, {**offsets, source: rec.offset})
            batch.rows.pop(key, None)  # re-insert: rows are written in order of last change
            batch.rows[key] = event

    def _mark_seen(self, batch: _Batch, event: Any, source: str, fact: str, offset: int) -> None:
        assert self._index is not None
        self._index[fact] = f"{source}@{offset}"
        ids = batch.seen[source][1] if source in batch.seen else {}
        ids[fact] = offset
        batch.seen[source] = (event, ids)

    def _record(self, cause: LogRecord, index: int, event: Record) -> NewRecord:
        return new_record(
            self.agent.topic_for(event.KIND),
            event,
            event_id=output_event_id(self.agent.name, cause.event_id, index, event),
            causation_id=cause.event_id,
            correlation_id=cause.correlation_id or cause.event_id,
        )


def _raw_topic(app: Any, names: Sequence[str], partitions: int) -> Any:
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def build_app(config: WorkerConfig, reference: ReferenceReader | None) -> Any:
    """The faust app of one worker: one faust agent per group of input topics, which
    hands each record to every Tapeline agent reading it (``faust_groups``)."""
    app = App(
        app_id(config.namespace),
        broker=f"kafka://{config.bootstrap}",
        store=config.store,
        datadir=str(config.data_dir),
        tabledir=str(table_dir(config.data_dir)),
        topic_partitions=INSTRUMENT_PARTITIONS,
        topic_replication_factor=1,
        topic_allow_declare=True,
        web_enabled=False,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=COMMIT_INTERVAL,
        producer_linger=PRODUCER_LINGER,
        table_standby_replicas=0,
        # A worker killed with -9 leaves the group after this many seconds, not faust's 60.
        broker_session_timeout=SESSION_TIMEOUT,
        broker_heartbeat_interval=1.0,
        autodiscover=False,
    )
    # faust.topics logs every send at debug level with the value's repr: ~3 % of a busy
    # worker even when the handlers drop it, unless the logger itself is above debug.
    logging.getLogger("faust.topics").setLevel(logging.INFO)
    emitter = Emitter(app, config.namespace)
    view: View = NoReferenceData()
    if reference is not None and config.view_factory is not None:
        view = config.view_factory(reference.tables())

    def current_view() -> View:
        return view

    readers: list[Reader] = [
        AgentWorker.in_app(app, agent, emitter, current_view) for agent in config.agents
    ]
    rekeyed = frozenset().union(
        *(a.kinds for a in config.agents if BY_INSTRUMENT in input_topics(a))
    )
    if rekeyed:
        readers.append(Forwarder(emitter, rekeyed))
    for topics, members in topic_groups(readers):
        group = TopicGroup({kafka_topic(config.namespace, t): t for t in topics}, members)
        channel = _raw_topic(app, [kafka_topic(config.namespace, t) for t in topics],
                             max(topic_partitions(t) for t in topics))  # fmt: skip
        app.agent(channel, name=f"topics-{topics[0]}")(_consumer(group.fold))
    if reference is not None:
        app.task(reference.follow)
    return app


def _consumer(fold: Callable[[list[Any]], Awaitable[list[Delivery]]]) -> Callable[[Any], Any]:
    async def consume(stream: Any) -> None:
        await Batches(stream, fold).run()

    return consume


def tables_of(agents: Sequence[Agent[Any]]) -> Mapping[str, Agent[Any]]:
    """The live faust tables that hold Tapeline tables (replayable agents)."""
    return {agent.name: agent for agent in agents if agent.replayable}

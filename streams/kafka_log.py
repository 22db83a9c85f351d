"""The cluster ``Log``: Apache Kafka through aiokafka.

How the protocol maps onto Kafka:

* Topic ``t`` is the Kafka topic ``f"{namespace}.{t}"`` (just ``t`` without a namespace),
  created on first use with the partition count of ``streams.topics`` and
  ``message.timestamp.type=LogAppendTime``, so a record's timestamp is the time the broker
  took it. A topic that exists with another partition count is refused: keys would land
  on other partitions than the embedded journal puts them.
* A record is one Kafka message: key = the record key, value = the payload bytes as-is,
  and the envelope (``kind``, ``schema_version``, ``event_id``, ``ts_event``, and
  ``causation_id``/``correlation_id`` when set) in headers, numbers as ASCII decimals.
  The partition is chosen here with ``partition_for`` (Kafka's murmur2), never left to
  the client, so both engines place a key on the same partition.
* ``ts_ingest`` is the message timestamp in ns: the broker's LogAppendTime on topics made
  here, the producer's time on a topic someone else made with CreateTime.
* ``seq`` is ``NO_SEQ`` (-1) everywhere: Kafka has no order across partitions, and an
  offset posing as a global sequence would be silently wrong.
* The producer is idempotent with ``acks=all``: a retried batch is never written twice
  and a partition keeps batch order. An append spanning partitions is *not* atomic (no
  transactions): if it fails part-way, some partitions may hold their records.
* Reads use a group-less consumer assigned to one partition, reading committed data
  (``read_committed``): aborted transactional records (faust) are never returned, and
  ``end_offsets`` is the last stable offset, equal to the high watermark without open
  transactions.
* Checkpoints are consumer-group offsets, group ``f"{namespace}.{consumer}"``, committed
  without joining the group (see ``streams.kafka_admin``).

A ``KafkaLog`` belongs to the event loop that first uses it (aiokafka's connections and
tasks do); using it from another loop is a ``LogError``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError, OffsetOutOfRangeError  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from streams.errors import CorruptRecordError, LogError
from streams.kafka_admin import KafkaAdmin
from streams.partitioning import partition_for
from streams.records import LogRecord, NewRecord, RecordPosition
from streams.topics import topic_spec

NO_SEQ = -1
"""The ``seq`` of every Kafka record and position: Kafka has no global order."""

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
_BATCH_BYTES = 512 * 1024  # under the broker's default message.max.bytes (1 MiB)
_TOPIC_CONFIGS = {"message.timestamp.type": "LogAppendTime"}
_REQUIRED_HEADERS = ("kind", "schema_version", "event_id", "ts_event")


def _headers(rec: NewRecord) -> list[tuple[str, bytes]]:
    headers = [
        ("kind", rec.kind.encode()),
        ("schema_version", str(rec.schema_version).encode()),
        ("event_id", rec.event_id.encode()),
        ("ts_event", str(rec.ts_event).encode()),
    ]
    if rec.causation_id is not None:
        headers.append(("causation_id", rec.causation_id.encode()))
    if rec.correlation_id is not None:
        headers.append(("correlation_id", rec.correlation_id.encode()))
    return headers


def _to_record(topic: str, msg: Any) -> LogRecord:
    head = {name: value.decode() for name, value in msg.headers}
    missing = [name for name in _REQUIRED_HEADERS if name not in head]
    if missing or msg.key is None or msg.value is None:
        raise CorruptRecordError(
            f"{msg.topic}[{msg.partition}] offset {msg.offset} is not a Tapeline record "
            f"(missing: {', '.join(missing) or 'key or value'})"
        )
    return LogRecord(
        seq=NO_SEQ,
        topic=topic,
        partition=msg.partition,
        offset=msg.offset,
        key=msg.key.decode(),
        kind=head["kind"],
        schema_version=int(head["schema_version"]),
        event_id=head["event_id"],
        ts_event=int(head["ts_event"]),
        ts_ingest=msg.timestamp * 1_000_000,
        causation_id=head.get("causation_id"),
        correlation_id=head.get("correlation_id"),
        payload=msg.value,
    )


class KafkaLog:
    """The ``Log`` on a Kafka cluster (see the module docstring for the mapping)."""

    def __init__(
        self,
        bootstrap: str = DEFAULT_BOOTSTRAP,
        *,
        namespace: str = "",
        connect_timeout: float = 10.0,
        request_timeout: float = 30.0,
        read_timeout: float = 30.0,
        replication_factor: int | None = None,
    ) -> None:
        """``replication_factor`` of the topics created here: None means min(3, brokers)."""
        self.bootstrap = bootstrap
        self.namespace = namespace
        self._connect_timeout = connect_timeout
        self._request_ms = int(request_timeout * 1000)
        self._read_timeout = read_timeout
        self._replication = replication_factor
        self._client_id = f"tapeline-{namespace}" if namespace else "tapeline"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock: asyncio.Lock | None = None
        self._started = False
        self._admin: KafkaAdmin | None = None
        self._producer: Any = None
        self._reader: Any = None
        self._read_lock: asyncio.Lock | None = None
        self._topic_lock: asyncio.Lock | None = None
        self._partitions: dict[str, int] = {}
        self._closed = False

    def kafka_name(self, topic: str) -> str:
        """The Kafka topic (or group) name of a Tapeline topic (or consumer)."""
        return f"{self.namespace}.{topic}" if self.namespace else topic

    # -- lifecycle --------------------------------------------------------------------

    async def _ready(self) -> None:
        """Connect on first use; fail within ``connect_timeout`` when no broker answers."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._start_lock = asyncio.Lock()
            self._read_lock = asyncio.Lock()
            self._topic_lock = asyncio.Lock()
        elif loop is not self._loop:
            raise LogError("a KafkaLog is bound to the event loop that first used it")
        if self._closed:
            raise LogError(f"the Kafka log at {self.bootstrap} is closed")
        if self._started:
            return
        assert self._start_lock is not None
        async with self._start_lock:
            if self._connected():  # another task connected while this one waited
                return
            try:
                await asyncio.wait_for(self._connect(), self._connect_timeout)
            except (KafkaError, OSError, TimeoutError) as exc:
                await self._disconnect()
                reason = (
                    f"no answer within {self._connect_timeout:g}s"
                    if isinstance(exc, TimeoutError)
                    else f"{type(exc).__name__}: {exc}"
                )
                raise LogError(f"cannot reach Kafka at {self.bootstrap}: {reason}") from None
            self._started = True

    async def start(self) -> None:
        """Connect now rather than on first use (every method connects when it must)."""
        await self._ready()

    async def _connect(self) -> None:
        self._admin = KafkaAdmin(
            self.bootstrap,
            client_id=self._client_id,
            request_timeout_ms=self._request_ms,
            retry_for=self._request_ms / 1000,
        )
        await self._admin.start()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=0,
            max_batch_size=_BATCH_BYTES,
            request_timeout_ms=self._request_ms,
        )
        await self._producer.start()
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="none",
            isolation_level="read_committed",
            fetch_max_wait_ms=100,
            request_timeout_ms=self._request_ms,
        )
        await self._reader.start()

    async def _disconnect(self) -> None:
        reader, producer, admin = self._reader, self._producer, self._admin
        self._reader = self._producer = self._admin = None
        if reader is not None:
            await reader.stop()
        if producer is not None:
            await producer.stop()
        if admin is not None:
            await admin.close()

    def _connected(self) -> bool:
        return self._started

    async def close(self) -> None:
        """Flush nothing (appends already waited for their acks) and drop the connections."""
        self._closed = True
        self._started = False
        await self._disconnect()

    # -- topics -----------------------------------------------------------------------

    async def partitions(self, topic: str) -> int:
        await self._ready()  # also refuses a closed log and a foreign loop; cheap once connected
        count = self._partitions.get(topic)
        if count is not None:
            return count
        assert self._admin is not None
        assert self._topic_lock is not None
        wanted = topic_spec(topic).partitions
        name = self.kafka_name(topic)
        async with self._topic_lock:
            count = self._partitions.get(topic)
            if count is not None:
                return count
            actual = await self._admin.partition_count(name)
            if actual is None:
                replication = self._replication or min(3, await self._admin.broker_count())
                await self._admin.create_topic(name, wanted, replication, _TOPIC_CONFIGS)
                actual = await self._admin.wait_for_topic(name)
            if actual != wanted:
                raise LogError(
                    f"Kafka topic {name} at {self.bootstrap} has {actual} partitions, "
                    f"this build expects {wanted}; delete it or use another namespace"
                )
            self._partitions[topic] = wanted
        return wanted

    async def _partition(self, topic: str, partition: int) -> TopicPartition:
        count = await self.partitions(topic)
        if not 0 <= partition < count:
            raise LogError(f"topic {topic} has partitions 0..{count - 1}, not {partition}")
        return TopicPartition(self.kafka_name(topic), partition)

    # -- writing ------------------------------------------------------------------------

    async def append(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        """Send the records in as few batches as fit, then wait for every ack."""
        if not records:
            return []
        counts = {topic: await self.partitions(topic) for topic in {r.topic for r in records}}
        producer = self._producer
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, rec in enumerate(records):
            groups[rec.topic, partition_for(rec.key, counts[rec.topic])].append(index)

        # Per partition: full batches in record order, each remembering its record indices.
        queues: list[list[tuple[Any, list[int]]]] = []
        for indices in groups.values():
            queue: list[tuple[Any, list[int]]] = []
            batch, members = producer.create_batch(), list[int]()
            for index in indices:
                rec = records[index]
                key, headers = rec.key.encode(), _headers(rec)
                # A full batch refuses the record; an empty one takes any record.
                while (
                    batch.append(timestamp=None, key=key, value=rec.payload, headers=headers)
                    is None
                ):
                    queue.append((batch, members))
                    batch, members = producer.create_batch(), []
                members.append(index)
            queue.append((batch, members))
            queues.append(queue)

        # Enqueue round-robin across partitions so every partition is in flight at once;
        # the accumulator keeps a partition's batches in order.
        sent: list[tuple[str, int, asyncio.Future[Any], list[int]]] = []
        try:
            for depth in range(max(len(q) for q in queues)):
                for (topic, part), queue in zip(groups, queues, strict=True):
                    if depth < len(queue):
                        batch, members = queue[depth]
                        name = self.kafka_name(topic)
                        future = await producer.send_batch(batch, name, partition=part)
                        sent.append((topic, part, future, members))
        except KafkaError as exc:
            raise LogError(f"appending to Kafka at {self.bootstrap} failed: {exc!r}") from exc
        finally:
            results = await asyncio.gather(*(s[2] for s in sent), return_exceptions=True)
        positions: list[RecordPosition | None] = [None] * len(records)
        for (topic, part, _, members), result in zip(sent, results, strict=True):
            if isinstance(result, BaseException):
                raise LogError(
                    f"appending to {self.kafka_name(topic)}[{part}] at {self.bootstrap} "
                    f"failed: {result!r}"
                ) from result
            for i, index in enumerate(members):
                positions[index] = RecordPosition(topic, part, result.offset + i, NO_SEQ)
        return [pos for pos in positions if pos is not None]

    # -- reading ------------------------------------------------------------------------

    async def read(
        self,
        topic: str,
        partition: int,
        from_offset: int,
        limit: int,
        on_corrupt: Callable[[int, CorruptRecordError], None] | None = None,
    ) -> list[LogRecord]:
        """Up to ``limit`` records from ``from_offset``. A message that is not a Tapeline
        record raises ``CorruptRecordError``, unless ``on_corrupt`` is given: then it is
        called with the message's offset and the error, and the message is skipped (it
        still counts against ``limit``)."""
        if from_offset < 0:
            raise LogError(f"offsets start at 0, not {from_offset}")
        tp = await self._partition(topic, partition)
        if limit <= 0:
            return []
        assert self._read_lock is not None
        async with self._read_lock:
            try:
                return await self._read_locked(topic, tp, from_offset, limit, on_corrupt)
            except OffsetOutOfRangeError:
                raise LogError(
                    f"offset {from_offset} of {tp.topic}[{partition}] is no longer in the log "
                    "(removed by retention)"
                ) from None
            except KafkaError as exc:
                raise LogError(f"reading {tp.topic}[{partition}] failed: {exc!r}") from exc

    async def _read_locked(
        self,
        topic: str,
        tp: TopicPartition,
        from_offset: int,
        limit: int,
        on_corrupt: Callable[[int, CorruptRecordError], None] | None,
    ) -> list[LogRecord]:
        reader = self._reader
        if reader.assignment() != {tp}:
            reader.assign([tp])
            reader.seek(tp, from_offset)
        else:
            reader.resume(tp)
            if await reader.position(tp) != from_offset:
                reader.seek(tp, from_offset)
        try:
            # The end last seen by a fetch is enough while it lies ahead; else ask.
            end = reader.last_stable_offset(tp)
            if end is None or end <= from_offset:
                end = (await reader.end_offsets([tp]))[tp]
            stop = min(from_offset + limit, end)
            out: list[LogRecord] = []
            taken = 0
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._read_timeout
            while taken < limit and await reader.position(tp) < stop:
                left = deadline - loop.time()
                if left <= 0:
                    raise LogError(
                        f"reading {tp.topic}[{tp.partition}] from {from_offset}: the broker "
                        f"sent {taken} of the records up to {stop} in {self._read_timeout:g}s"
                    )
                fetched = await reader.getmany(
                    tp, timeout_ms=int(min(left, 1.0) * 1000), max_records=limit - taken
                )
                for msg in fetched.get(tp, ()):
                    taken += 1
                    try:
                        out.append(_to_record(topic, msg))
                    except CorruptRecordError as error:
                        if on_corrupt is None:
                            raise
                        on_corrupt(msg.offset, error)
            return out
        finally:
            # A paused partition is not fetched in the background between reads.
            reader.pause(tp)

    async def end_offsets(self, topic: str) -> dict[int, int]:
        count = await self.partitions(topic)
        name = self.kafka_name(topic)
        tps = [TopicPartition(name, part) for part in range(count)]
        try:
            ends = await self._reader.end_offsets(tps)
        except KafkaError as exc:
            raise LogError(f"reading the end offsets of {name} failed: {exc!r}") from exc
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    # -- checkpoints --------------------------------------------------------------------

    async def commit(self, consumer: str, topic: str, partition: int, next_offset: int) -> None:
        tp = await self._partition(topic, partition)
        assert self._admin is not None
        await self._admin.commit_offset(self.kafka_name(consumer), tp.topic, partition, next_offset)

    async def committed(self, consumer: str, topic: str, partition: int) -> int:
        tp = await self._partition(topic, partition)
        assert self._admin is not None
        group = self.kafka_name(consumer)
        offset = await self._admin.fetch_offset(group, tp.topic, partition)
        return 0 if offset is None else offset

    # -- housekeeping -------------------------------------------------------------------

    async def drop_namespace(self) -> list[str]:
        """Delete every topic of this namespace (tests and throwaway runs); returns them."""
        if not self.namespace:
            raise LogError("drop_namespace needs a namespace: it would delete every topic")
        await self._ready()
        assert self._admin is not None
        prefix = f"{self.namespace}."
        names = [n for n in await self._admin.topic_names() if n.startswith(prefix)]
        await self._admin.delete_topics(names)
        self._partitions.clear()
        return names

"""One faust agent per group of input topics: each record goes through faust once.

faust's per-record plumbing (conductor, channel queue, stream iteration with a loop turn
per record, event, ack) costs more than folding a record, and with one faust agent per
Tapeline agent a tick paid it once per agent reading ``md.ticks`` (four of them). Here
the input topics are grouped so that every Tapeline agent reads from exactly one group
(``topic_groups``: the connected components of "agent reads topic"), and one faust agent
per group (``TopicGroup``) hands each record, in the order faust delivered it, to every
reader of its topic: the envelope is parsed once and the payload decoded once (the
decoded structs are frozen, so sharing them is safe).

An agent that reads two topics gets both from one faust agent, so its batches are
folded one after the other by one folder (``faust_batches.Batches``), never interleaved
with another batch's writes: a row written by one batch never carries the offsets of a
batch whose outputs are still unsent.

A reader (``AgentWorker``, ``Forwarder``) sees a batch as ``begin``, then per record
``take`` (or ``corrupt`` when the envelope cannot be read), then ``finish``, which
hands its writes to the producer and returns their deliveries; the batch is acked once
every delivery of every reader succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from streams.codec import decode_payload, fact_id
from streams.faust_batches import Delivery, clear_current_event, set_current_event
from streams.faust_wire import BY_INSTRUMENT, message_record
from streams.records import LogRecord, NewRecord
from streams.runtime import dead_letter_for
from streams.topics import ORDERS_EVENTS


class Payload:
    """A record's decoded payload and fact id, decoded on first use and shared by the
    readers of the record; a payload that does not decode raises for each of them."""

    __slots__ = ("_error", "_fact", "_value", "rec")

    def __init__(self, rec: LogRecord) -> None:
        self.rec = rec
        self._value: Any = None
        self._fact = ""
        self._error: Exception | None = None

    def value(self) -> Any:
        if self._value is None:
            if self._error is not None:
                raise self._error
            try:
                self._value = decode_payload(self.rec.kind, self.rec.payload)
            except Exception as error:
                self._error = error
                raise
        return self._value

    def fact(self) -> str:
        if not self._fact:
            self._fact = fact_id(self.rec.event_id, self.value())
        return self._fact


class Reader(Protocol):
    """What a ``TopicGroup`` hands its records to (see the module doc)."""

    @property
    def topics(self) -> Sequence[str]:
        """The Tapeline topics this reader reads."""

    def begin(self) -> None: ...

    def take(self, rec: LogRecord, event: Any, payload: Payload) -> None: ...

    def corrupt(self, topic: str, message: Any, error: Exception) -> None: ...

    async def finish(self) -> list[Delivery]: ...


class Sender(Protocol):
    async def send(self, rec: NewRecord) -> Delivery: ...


def topic_groups(readers: Sequence[Reader]) -> list[tuple[list[str], list[Reader]]]:
    """The input topics in groups such that every reader's topics lie in one group (the
    connected components), each with its readers in the order given; topics sorted."""
    groups: list[tuple[set[str], list[Reader]]] = []
    for reader in readers:
        joined = [g for g in groups if g[0] & set(reader.topics)]
        topics = set(reader.topics).union(*(g[0] for g in joined))
        members = [r for g in groups if g in joined for r in g[1]] + [reader]
        groups = [g for g in groups if g not in joined] + [(topics, members)]
    order = {id(r): i for i, r in enumerate(readers)}
    return [
        (sorted(topics), sorted(members, key=lambda r: order[id(r)]))
        for topics, members in sorted(groups, key=lambda g: min(g[0]))
    ]


class TopicGroup:
    """The fold of one faust agent over a group of topics (see the module doc)."""

    def __init__(self, names: Mapping[str, str], readers: Sequence[Reader]) -> None:
        """``names``: Kafka topic name -> Tapeline topic, for the group's topics."""
        self.readers = list(readers)
        self.routes: dict[str, tuple[str, list[Reader]]] = {
            kafka: (topic, [r for r in self.readers if topic in r.topics])
            for kafka, topic in names.items()
        }

    async def fold(self, events: Iterable[Any]) -> list[Delivery]:
        for reader in self.readers:
            reader.begin()
        routes = self.routes
        for event in events:
            message = event.message
            topic, readers = routes[message.topic]
            set_current_event(event)  # the stores read the current event's partition
            try:
                rec = message_record(topic, message)
            except Exception as error:
                for reader in readers:
                    reader.corrupt(topic, message, error)
                continue
            payload = Payload(rec)
            for reader in readers:
                reader.take(rec, event, payload)
        clear_current_event()
        deliveries: list[Delivery] = []
        for reader in self.readers:
            deliveries.extend(await reader.finish())
        return deliveries


def stub_record(topic: str, message: Any) -> LogRecord:
    """A record for the dead letter of a message whose envelope cannot be read."""
    place = f"{message.topic}/{message.partition}@{message.offset}"
    value = message.value if isinstance(message.value, bytes) else b""
    return LogRecord(-1, topic, message.partition, message.offset, "", "?", 0, place, 0, 0,
                     None, None, value)  # fmt: skip


class Forwarder:
    """``orders.events`` -> ``orders.events.by-instrument``, envelope unchanged, for the
    agents keyed by instrument (``kinds``: the kinds they read)."""

    topics = (ORDERS_EVENTS,)

    def __init__(self, emitter: Sender, kinds: frozenset[str]) -> None:
        self.emitter = emitter
        self.kinds = kinds
        self._outputs: list[NewRecord] = []

    def begin(self) -> None:
        self._outputs = []

    def corrupt(self, topic: str, message: Any, error: Exception) -> None:
        self._outputs.append(dead_letter_for("repartition", stub_record(topic, message), error))

    def take(self, rec: LogRecord, event: Any, payload: Payload) -> None:
        if rec.kind not in self.kinds:
            return
        try:
            instrument = str(payload.value().instrument)
        except Exception as error:
            self.corrupt(rec.topic, event.message, error)
            return
        forwarded = NewRecord(BY_INSTRUMENT, instrument, rec.kind, rec.schema_version,
                              rec.event_id, rec.ts_event, rec.payload, rec.causation_id,
                              rec.correlation_id)  # fmt: skip
        self._outputs.append(forwarded)

    async def finish(self) -> list[Delivery]:
        return [await self.emitter.send(out) for out in self._outputs]

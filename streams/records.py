"""Records as the log holds them: to append (``NewRecord``) and as read (``LogRecord``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from schemas import Record, current_version
from streams.topics import key_of


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A validated record ready for the log; the log assigns partition, offset and time."""

    topic: str
    key: str
    kind: str
    schema_version: int
    event_id: str
    ts_event: int
    payload: bytes
    causation_id: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A record read back, with where it sits and when the log took it."""

    seq: int
    """Global sequence: total order across topics (embedded journal; Kafka has none)."""
    topic: str
    partition: int
    offset: int
    key: str
    kind: str
    schema_version: int
    event_id: str
    ts_event: int
    ts_ingest: int
    causation_id: str | None
    correlation_id: str | None
    payload: bytes


class RecordPosition(NamedTuple):
    """Where an appended record landed (a tuple: appends make one per record)."""

    topic: str
    partition: int
    offset: int
    seq: int


def new_record(
    topic: str,
    payload: Record,
    *,
    event_id: str | None = None,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> NewRecord:
    """Wrap a validated payload for ``topic``; the event id defaults to its natural id."""
    return NewRecord(
        topic=topic,
        key=key_of(topic, payload),
        kind=payload.KIND,
        schema_version=current_version(payload.KIND),
        event_id=event_id or payload.natural_id(),
        ts_event=payload.ts_event,
        payload=payload.model_dump_json().encode(),
        causation_id=causation_id,
        correlation_id=correlation_id,
    )


def output_event_id(agent: str, cause_event_id: str, index: int, event: Record) -> str:
    """The event id of an agent's ``index``-th output for the input ``cause_event_id``.

    A kind with an identity of its own (a fill's ExecID) keeps its natural id, so the same
    fact reaching the log another way (a drop copy appended with ``log append``) is
    recognised as a duplicate; any other output is named by what caused it. Both are
    deterministic, so the embedded runtime and a faust worker name an output alike.
    """
    if type(event).natural_id is not Record.natural_id:
        return event.natural_id()
    return f"{agent}:{cause_event_id}:{index}"

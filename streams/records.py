"""Records as the log holds them: to append (``NewRecord``) and as read (``LogRecord``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import msgspec
from pydantic import BaseModel

from schemas import Record, current_version
from streams.codec import encode_payload
from streams.topics import key_of

R = TypeVar("R", bound=Record)

_new = object.__new__
# pydantic's instance slots, set as ``model_construct`` sets them (a member descriptor's
# __set__ is cheaper than object.__setattr__)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


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


class LogRecord(msgspec.Struct, frozen=True, gc=False):
    """A record read back, with where it sits and when the log took it.

    A msgspec struct rather than a frozen dataclass: one is made per record appended or
    read, and a frozen dataclass's ``__init__`` (an ``object.__setattr__`` per field) cost
    about a microsecond of the order path. Untracked by the GC: it holds only strings,
    numbers and bytes."""

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


def trusted_record(model: type[R], fields: dict[str, Any]) -> R:
    """A ``model`` of values that are valid by construction (copied from a validated
    record, or checked by the caller), without validating them again: pydantic's
    validation was most of the cost of an OMS decision and of a PnL mark. ``fields`` is
    a fresh dict, which the record adopts as its own: every field, ``kind`` first and
    defaults too, in declaration order, which is the order pydantic writes them in. The
    result equals ``model(**fields)`` and serializes alike (the callers' tests check it
    against a validated model). It sets exactly what ``model_construct`` sets, which
    walks every field in Python and costs more. Every field but ``kind`` counts as set."""
    record: R = _new(model)
    _set_dict(record, fields)
    every_field = _EVERY_FIELD_BUT_KIND.get(model) or _every_field_but_kind(model)
    _set_fields_set(record, every_field.copy())  # a copy of the table, not a walk
    _set_extra(record, None)
    _set_private(record, None)
    return record


_EVERY_FIELD_BUT_KIND: dict[type[Record], set[str]] = {}


def _every_field_but_kind(model: type[Record]) -> set[str]:
    fields = _EVERY_FIELD_BUT_KIND[model] = set(model.model_fields) - {"kind"}
    return fields


def new_record(
    topic: str,
    payload: Record,
    *,
    event_id: str | None = None,
    causation_id: str | None = None,
    correlation_id: str | None = None,
    flat: Any = None,
) -> NewRecord:
    """Wrap a validated payload for ``topic``; the event id defaults to its natural id.
    ``flat``: ``streams.codec.flat_struct(payload)`` if the caller has it already."""
    kind = payload.KIND
    # Positional: a dataclass __init__ takes keywords a third slower, once per output.
    return NewRecord(
        topic,
        key_of(topic, payload),
        kind,
        current_version(kind),
        event_id or payload.natural_id(),
        payload.ts_event,
        encode_payload(payload, flat),
        causation_id,
        correlation_id,
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

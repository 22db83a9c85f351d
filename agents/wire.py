"""Taking records from the outside: one JSON line in, a validated record (or a reason) out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agents.instruments import InstrumentRegistry
from schemas import Record, SchemaError, validate_record
from streams.records import NewRecord, new_record
from streams.topics import UnknownTopicError, key_of

MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class WireExtras:
    """Envelope fields a line may carry beside the payload's own."""

    event_id: str | None = None
    causation_id: str | None = None
    correlation_id: str | None = None


def _reject_constant(name: str) -> Any:
    raise SchemaError(f"{name} is not a number; decimals are JSON strings")


def _extras(data: dict[str, Any]) -> WireExtras:
    values: dict[str, str | None] = {}
    for name in ("event_id", "causation_id", "correlation_id"):
        value = data.pop(name, None)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 128):
            raise SchemaError(f"field {name}: must be a string of 1 to 128 characters")
        values[name] = value
    return WireExtras(**values)


def parse_line(line: bytes, topic: str, registry: InstrumentRegistry) -> NewRecord:
    """Validate one line for ``topic``; raises SchemaError with a one-line reason."""
    if len(line) > MAX_LINE_BYTES:
        raise SchemaError(f"line is {len(line)} bytes, over the limit of {MAX_LINE_BYTES}")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SchemaError(f"invalid UTF-8 at byte {error.start}") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise SchemaError(f"malformed JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"a record is a JSON object, got {type(data).__name__}")
    extras = _extras(data)
    record = validate_record(data)
    return to_new_record(topic, record, extras, registry)


def to_new_record(
    topic: str, record: Record, extras: WireExtras, registry: InstrumentRegistry
) -> NewRecord:
    instrument = getattr(record, "instrument", None)
    if isinstance(instrument, str) and record.KIND != "instrument" and instrument not in registry:
        raise SchemaError(f"field instrument: unknown instrument {instrument[:60]!r}")
    try:
        key_of(topic, record)
    except UnknownTopicError as error:
        raise SchemaError(str(error)) from None
    return new_record(
        topic,
        record,
        event_id=extras.event_id,
        causation_id=extras.causation_id,
        correlation_id=extras.correlation_id,
    )

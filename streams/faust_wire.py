"""How the faust workers name things and encode records, in one place.

* Records on the wire are exactly ``KafkaLog``'s (key, payload bytes, envelope headers,
  murmur2 partition): ``record_headers`` *is* ``streams.kafka_log``'s helper, imported
  rather than copied so the two engines cannot drift (it is private there; the lead may
  rename it public).
* A table row is ``{"s": <encode_state(state)>, "o": {"<topic>/<partition>": offset}}``:
  the state's canonical bytes plus, per input partition, the offset of the last record
  folded into this key. Both live in one changelog message, so after a crash the row
  says atomically whether a redelivered record is already in the state (see
  ``streams.faust_app``).
* Kafka names: tapeline topic ``t`` is ``f"{namespace}.{t}"`` (as ``KafkaLog``); the faust
  app id (= consumer group) is ``f"tapeline-{namespace}"``; a table's changelog is faust's
  ``f"{app_id}-{table}-changelog"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from streams.errors import CorruptRecordError
from streams.kafka_log import _headers as record_headers
from streams.records import LogRecord
from streams.topics import INSTRUMENT_PARTITIONS, ORDERS_EVENTS

__all__ = [
    "BY_INSTRUMENT",
    "Row",
    "app_id",
    "changelog_topic",
    "decode_row",
    "decode_seen",
    "encode_row",
    "encode_seen",
    "kafka_topic",
    "message_record",
    "record_headers",
    "seen_table",
]

BY_INSTRUMENT = f"{ORDERS_EVENTS}.by-instrument"
"""The internal topic holding ``orders.events`` re-keyed by instrument (venue, exeq)."""
BY_INSTRUMENT_PARTITIONS = INSTRUMENT_PARTITIONS
"""Same count as ``md.ticks``: an instrument's ticks and orders meet on one partition."""


def kafka_topic(namespace: str, topic: str) -> str:
    return f"{namespace}.{topic}" if namespace else topic


def app_id(namespace: str) -> str:
    return f"tapeline-{namespace}" if namespace else "tapeline"


def seen_table(agent: str) -> str:
    """The faust table of event ids an agent has folded (dedup across redeliveries)."""
    return f"{agent}-seen"


def changelog_topic(namespace: str, table: str) -> str:
    return f"{app_id(namespace)}-{table}-changelog"


class Row(msgspec.Struct, frozen=True):
    s: msgspec.Raw
    o: dict[str, int]


_row_encoder = msgspec.json.Encoder()
_row_decoder = msgspec.json.Decoder(Row)


def encode_row(state_bytes: bytes, offsets: dict[str, int]) -> bytes:
    return _row_encoder.encode(Row(s=msgspec.Raw(state_bytes), o=offsets))


def decode_row(value: bytes) -> tuple[bytes, dict[str, int]]:
    """The state's canonical bytes and the per-partition offsets folded."""
    row = _row_decoder.decode(value)
    return bytes(row.s), row.o


_seen_encoder = msgspec.json.Encoder()
_seen_decoder = msgspec.json.Decoder(dict[str, int])


def encode_seen(ids: dict[str, int]) -> bytes:
    """A row of the seen table: fact id -> offset of the record that first carried it."""
    return _seen_encoder.encode(ids)


def decode_seen(value: bytes) -> dict[str, int]:
    return _seen_decoder.decode(value)


def _header_map(headers: Any) -> dict[str, str]:
    items: Iterable[tuple[str, Any]] = headers.items() if isinstance(headers, dict) else headers
    return {
        name: value.decode() if isinstance(value, bytes) else str(value)
        for name, value in items or ()
    }


def message_record(topic: str, message: Any) -> LogRecord:
    """A faust ``Message`` (raw key/value, headers) as the ``LogRecord`` KafkaLog reads."""
    head = _header_map(message.headers)
    key, value = message.key, message.value
    missing = [h for h in ("kind", "schema_version", "event_id", "ts_event") if h not in head]
    if missing or key is None or value is None:
        raise CorruptRecordError(
            f"{message.topic}[{message.partition}] offset {message.offset} is not a Tapeline "
            f"record (missing: {', '.join(missing) or 'key or value'})"
        )
    return LogRecord(
        seq=-1,
        topic=topic,
        partition=message.partition,
        offset=message.offset,
        key=key.decode() if isinstance(key, bytes) else str(key),
        kind=head["kind"],
        schema_version=int(head["schema_version"]),
        event_id=head["event_id"],
        ts_event=int(head["ts_event"]),
        ts_ingest=int((message.timestamp or 0) * 1_000_000_000),
        causation_id=head.get("causation_id"),
        correlation_id=head.get("correlation_id"),
        payload=value if isinstance(value, bytes) else bytes(value),
    )

"""The hash chain: each record's hash covers its content and its predecessor's hash."""

from __future__ import annotations

import hashlib

GENESIS = bytes(16)
"""The 'previous hash' of the first record of every partition."""

_SEP = b"\x1f"


def record_hash(
    prev: bytes,
    topic: str,
    partition: int,
    offset: int,
    key: str,
    kind: str,
    schema_version: int,
    event_id: str,
    ts_event: int,
    ts_ingest: int,
    causation_id: str | None,
    correlation_id: str | None,
    payload: bytes,
) -> bytes:
    header = _SEP.join(
        (
            topic.encode(),
            str(partition).encode(),
            str(offset).encode(),
            key.encode(),
            kind.encode(),
            str(schema_version).encode(),
            event_id.encode(),
            str(ts_event).encode(),
            str(ts_ingest).encode(),
            (causation_id or "").encode(),
            (correlation_id or "").encode(),
        )
    )
    return hashlib.blake2b(prev + header + b"\x1e" + payload, digest_size=16).digest()

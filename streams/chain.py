"""The hash chain: each record's hash covers its content and its predecessor's hash."""

from __future__ import annotations

from hashlib import blake2b

GENESIS = bytes(16)
"""The 'previous hash' of the first record of every partition."""


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
    header = (
        f"{topic}\x1f{partition}\x1f{offset}\x1f{key}\x1f{kind}\x1f{schema_version}\x1f"
        f"{event_id}\x1f{ts_event}\x1f{ts_ingest}\x1f{causation_id or ''}\x1f"
        f"{correlation_id or ''}\x1e"
    )
    # One join, not two concatenations: each ``+`` copied the payload again.
    return blake2b(b"".join((prev, header.encode(), payload)), digest_size=16).digest()

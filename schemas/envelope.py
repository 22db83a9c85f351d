"""The envelope every record travels in once the log has taken it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.registry import AnyRecord
from schemas.types import Id, TsNs


class Envelope(BaseModel):
    """Where a record sits in the log, who caused it, and the payload itself."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    topic: Id
    partition: int
    offset: int
    key: str
    kind: Id
    schema_version: int
    event_id: Id
    ts_event: TsNs
    ts_ingest: TsNs
    causation_id: Id | None = None
    correlation_id: Id | None = None
    payload: AnyRecord

"""Alternative data: one observation of a series (news sentiment, funding rate, ...)."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Dec, Id


class AltDataPoint(Record):
    """``source`` publishes ``metric`` about ``subject`` (an instrument or asset)."""

    kind: Literal["alt_point"] = "alt_point"
    source: Id
    metric: Id
    subject: Id
    value: Dec

    def natural_id(self) -> str:
        return f"alt:{self.source}:{self.metric}:{self.subject}:{self.ts_event}"

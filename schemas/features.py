"""The ``feature_vector`` record: one instrument's features as of the end of a bucket."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Record
from schemas.types import Dec, InstrumentId, NonNegativeDec, TsNs


class FeatureVector(Record):
    """Features of ``instrument`` computed from ticks with ``ts_event`` before this
    record's ``ts_event`` (the end of the bucket that starts at ``bucket_ts``).

    None means not measurable: no trade in the last 60 s (vwap), fewer than two trades
    in it (rv), no quote yet (obi, spread).
    """

    kind: Literal["feature_vector"] = "feature_vector"
    instrument: InstrumentId
    bucket_ts: TsNs
    vwap_60s: NonNegativeDec | None = None
    rv_60s: NonNegativeDec | None = None
    obi_l1: Dec | None = None
    trade_count_60s: int = Field(ge=0)
    spread_bps: NonNegativeDec | None = None

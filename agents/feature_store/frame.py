"""Feature vectors from the journal, as the DataFrame Feast's push takes.

The boundary where exact decimals become binary floats: Feast has no decimal type, so
inside the feature store ``vwap_60s``, ``rv_60s``, ``obi_l1`` and ``spread_bps`` are
``Float64`` (a model reads floats anyway). Everywhere else in Tapeline they stay
``Decimal``; nothing reads a float back into the log. ``None`` (no trades in the window,
no two-sided quote) becomes a Feast null, never 0.

``event_timestamp`` is the vector's ``ts_event``: the end of its bucket, the first instant
all of its inputs are known (``bucket_ts`` is the bucket's start, and would let a
point-in-time join at ``t`` see up to a bucket of later ticks).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from schemas import TapelineError

if TYPE_CHECKING:
    import pyarrow  # type: ignore[import-untyped, unused-ignore]  # no stubs

FEATURE_KIND = "feature_vector"
ENTITY = "instrument"
TIMESTAMP = "event_timestamp"
FLOAT_FEATURES = ("vwap_60s", "rv_60s", "obi_l1", "spread_bps")
INT_FEATURES = ("trade_count_60s",)
FEATURES = FLOAT_FEATURES + INT_FEATURES
COLUMNS = (ENTITY, TIMESTAMP, *FEATURES)
"""The batch source's columns, in the order the parquet file holds them."""


class FeatureRecordError(TapelineError):
    """A ``feature_vector`` payload that does not decode: the pusher stops before it."""


class FeatureRow(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of ``schemas.FeatureVector`` the store keeps.

    Decoded straight from the journal payload (decimals as strings), without pydantic:
    the record was validated when it was appended. Unknown fields are ignored, so the
    features agent may add fields without breaking the push.
    """

    instrument: str
    bucket_ts: int
    ts_event: int
    vwap_60s: Decimal | None
    rv_60s: Decimal | None
    obi_l1: Decimal | None
    spread_bps: Decimal | None
    trade_count_60s: int


_DECODER = msgspec.json.Decoder(FeatureRow)


def decode_row(seq: int, payload: str | bytes) -> FeatureRow:
    try:
        return _DECODER.decode(payload)
    except msgspec.DecodeError as error:
        raise FeatureRecordError(
            f"journal seq {seq}: a {FEATURE_KIND} payload does not decode ({error}); "
            "the feature push stays before it"
        ) from None


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def to_frame(rows: list[FeatureRow]) -> Any:
    """A pandas DataFrame with ``COLUMNS``: the feature view's push payload."""
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no stubs

    columns: dict[str, Any] = {
        ENTITY: [row.instrument for row in rows],
        TIMESTAMP: pd.to_datetime([row.ts_event for row in rows], unit="ns", utc=True),
        "vwap_60s": [_float(row.vwap_60s) for row in rows],
        "rv_60s": [_float(row.rv_60s) for row in rows],
        "obi_l1": [_float(row.obi_l1) for row in rows],
        "spread_bps": [_float(row.spread_bps) for row in rows],
        "trade_count_60s": [row.trade_count_60s for row in rows],
    }
    frame = pd.DataFrame(columns)
    for name in FLOAT_FEATURES:
        frame[name] = frame[name].astype("float64")
    frame["trade_count_60s"] = frame["trade_count_60s"].astype("int64")
    return frame


def parquet_schema() -> pyarrow.Schema:
    """The schema of the (initially empty) parquet file behind the push source."""
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs

    return pa.schema(
        [
            (ENTITY, pa.string()),
            (TIMESTAMP, pa.timestamp("ns", tz="UTC")),
            *((name, pa.float64()) for name in FLOAT_FEATURES),
            *((name, pa.int64()) for name in INT_FEATURES),
        ]
    )

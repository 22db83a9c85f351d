"""Feast definitions of the Tapeline feature store (feast pipeline in DOMAIN.md).

One entity (``instrument``), one push source (``features_push``) whose batch source is
a parquet file, one feature view (``instrument_features``) with a 5 minute TTL: a
historical query at t sees the latest vector computed at or before t, and none older
than t - 5 min. Decimals are Float64 here (Feast has no decimal type); the conversion
happens at the push boundary, agents/feature_store/frame.py.

``definitions(data_dir)`` is what the pusher applies; the module-level objects are what
``feast apply`` finds when it imports this file.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from feast import Entity, FeatureView, Field, FileSource, PushSource, ValueType
from feast.types import Float64, Int64

FEATURE_TTL = timedelta(minutes=5)
PARQUET_FILE = "features.parquet"


def default_data_dir() -> Path:
    """``$TAPELINE_FEAST_DATA``, else ``$TAPELINE_RUN_DIR/feast``, else ``.run/feast``."""
    if data := os.environ.get("TAPELINE_FEAST_DATA"):
        return Path(data)
    run_dir = os.environ.get("TAPELINE_RUN_DIR")
    base = Path(run_dir) if run_dir else Path(__file__).resolve().parents[2] / ".run"
    return base / "feast"


def definitions(data_dir: Path) -> list[Any]:
    """Entity, push source and feature view, with the parquet file under ``data_dir``."""
    instrument = Entity(
        name="instrument",
        join_keys=["instrument"],
        value_type=ValueType.STRING,
        description="venue:symbol, the key of md.ticks and features",
    )
    features_parquet = FileSource(
        name="features_parquet",
        path=str(data_dir / PARQUET_FILE),
        timestamp_field="event_timestamp",
    )
    features_push = PushSource(name="features_push", batch_source=features_parquet)
    instrument_features = FeatureView(
        name="instrument_features",
        entities=[instrument],
        ttl=FEATURE_TTL,
        schema=[
            Field(name="vwap_60s", dtype=Float64),
            Field(name="rv_60s", dtype=Float64),
            Field(name="obi_l1", dtype=Float64),
            Field(name="spread_bps", dtype=Float64),
            Field(name="trade_count_60s", dtype=Int64),
        ],
        source=features_push,
        online=True,
    )
    return [instrument, features_push, instrument_features]


instrument, features_push, instrument_features = definitions(default_data_dir())

"""sink-alt: alternative data (``alt.raw``) into ClickHouse, or chDB under the data dir."""

from agents.sink_alt.points import CSV_FIELDS, parse_alt_csv, synthetic_alt
from agents.sink_alt.sink import (
    CONSUMER,
    ENV_VAR,
    AltCounters,
    AltSink,
    AltSinkError,
    ChdbTarget,
    ClickHouseTarget,
    Target,
    create_table_sql,
    insert_sql,
    points_sql,
    target_from_env,
)

__all__ = [
    "CONSUMER",
    "CSV_FIELDS",
    "ENV_VAR",
    "AltCounters",
    "AltSink",
    "AltSinkError",
    "ChdbTarget",
    "ClickHouseTarget",
    "Target",
    "create_table_sql",
    "insert_sql",
    "parse_alt_csv",
    "points_sql",
    "synthetic_alt",
    "target_from_env",
]

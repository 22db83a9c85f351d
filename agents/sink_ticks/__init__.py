"""sink-ticks: canonical ticks from ``md.ticks`` to QuestDB over ILP/HTTP, idempotent."""

from agents.sink_ticks.endpoint import (
    ENV_VAR,
    Endpoint,
    QuestDbConfError,
    QuestDbSqlError,
    QuestDbUnavailable,
    conf_from_env,
)
from agents.sink_ticks.sink import (
    CONSUMER,
    RowsRefusedError,
    SinkCounters,
    TickSink,
    from_env,
)
from agents.sink_ticks.tables import SchemaDriftError, TickTables
from streams.backoff import Backoff

__all__ = [
    "CONSUMER",
    "ENV_VAR",
    "Backoff",
    "Endpoint",
    "QuestDbConfError",
    "QuestDbSqlError",
    "QuestDbUnavailable",
    "RowsRefusedError",
    "SchemaDriftError",
    "SinkCounters",
    "TickSink",
    "TickTables",
    "conf_from_env",
    "from_env",
]

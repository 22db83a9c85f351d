"""The topics of ARCHITECTURE.md: their keys and partition counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import TapelineError


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key_field: str
    """The payload attribute whose value is the record key (co-partitioning)."""
    partitions: int
    kinds: frozenset[str]
    """The record kinds this topic carries; anything else is refused at append."""


MD_TICKS = "md.ticks"
ALT_RAW = "alt.raw"
ORDERS_COMMANDS = "orders.commands"
ORDERS_EVENTS = "orders.events"
EXEC_REPORTS = "exec.reports"
RISK_DECISIONS = "risk.decisions"
COMPLIANCE_ALERTS = "compliance.alerts"
EXEQ_REPORTS = "exeq.reports"
PNL_SNAPSHOTS = "pnl.snapshots"
FEATURES = "features"
DEADLETTER = "deadletter"

ACCOUNT_PARTITIONS = 8
INSTRUMENT_PARTITIONS = 4

_ORDER_EVENTS = frozenset(
    {
        "order_accepted",
        "order_rejected",
        "order_partially_filled",
        "order_filled",
        "order_canceled",
        "order_replaced",
        "order_expired",
        "order_cancel_rejected",
        "order_replace_rejected",
        "trading_state_changed",
    }
)
_COMMANDS = frozenset(
    {"submit_order", "cancel_order", "replace_order", "set_trading_state", "kill_switch"}
)

TOPICS: dict[str, TopicSpec] = {
    spec.name: spec
    for spec in (
        TopicSpec(
            MD_TICKS, "instrument", INSTRUMENT_PARTITIONS, frozenset({"trade", "quote", "md_gap"})
        ),
        TopicSpec(ALT_RAW, "source", 1, frozenset({"alt_point"})),
        TopicSpec(ORDERS_COMMANDS, "account", ACCOUNT_PARTITIONS, _COMMANDS),
        TopicSpec(ORDERS_EVENTS, "account", ACCOUNT_PARTITIONS, _ORDER_EVENTS),
        TopicSpec(
            EXEC_REPORTS, "account", ACCOUNT_PARTITIONS, frozenset({"fill", "exec_canceled"})
        ),
        TopicSpec(RISK_DECISIONS, "account", ACCOUNT_PARTITIONS, frozenset({"risk_decision"})),
        TopicSpec(
            COMPLIANCE_ALERTS, "account", ACCOUNT_PARTITIONS, frozenset({"compliance_alert"})
        ),
        TopicSpec(EXEQ_REPORTS, "account", ACCOUNT_PARTITIONS, frozenset({"execution_quality"})),
        TopicSpec(PNL_SNAPSHOTS, "account", ACCOUNT_PARTITIONS, frozenset({"pnl_snapshot"})),
        TopicSpec(FEATURES, "instrument", INSTRUMENT_PARTITIONS, frozenset({"feature_vector"})),
        TopicSpec(DEADLETTER, "origin_topic", 1, frozenset({"dead_letter"})),
    )
}


class UnknownTopicError(TapelineError):
    pass


def topic_spec(name: str) -> TopicSpec:
    spec = TOPICS.get(name)
    if spec is None:
        known = ", ".join(sorted(TOPICS))
        raise UnknownTopicError(f"unknown topic {name!r}; the topics are: {known}")
    return spec


def key_of(topic: str, payload: Any) -> str:
    """The record key a payload gets on ``topic``; refuses a kind the topic does not carry."""
    spec = topic_spec(topic)
    if payload.kind not in spec.kinds:
        raise UnknownTopicError(
            f"topic {topic} does not carry {payload.kind} records "
            f"(it carries: {', '.join(sorted(spec.kinds))})"
        )
    value = getattr(payload, spec.key_field, None)
    if not isinstance(value, str) or not value:
        kind = getattr(payload, "kind", type(payload).__name__)
        raise UnknownTopicError(
            f"a {kind} record has no {spec.key_field}, the key of topic {topic}"
        )
    return value

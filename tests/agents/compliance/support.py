"""Helpers for the compliance tests: a builder, an agent, and a run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agents.compliance import agent as compliance_agent
from agents.compliance.config import SurveillanceConfig
from agents.compliance.state import AccountWatch
from agents.risk.limits import AccountLimits, InstrumentLimits, RiskLimits
from agents.scenarios.evaluation import NoView, run_process
from agents.scenarios.flow import MS, SECOND, T0, FlowBuilder
from schemas import ComplianceAlert, Record

__all__ = ["MS", "SECOND", "T0", "D", "FlowBuilder", "alerts_of", "limits", "run_watch"]

ALPHA = "synthetic:ALPHA"
CAPPED = "synthetic:CAPPED"
BANNED = "synthetic:BANNED"


def D(value: str | int) -> Decimal:
    return Decimal(value)


def limits() -> RiskLimits:
    return RiskLimits(
        default_account=AccountLimits(restricted=frozenset({BANNED})),
        instruments={CAPPED: InstrumentLimits(position_limit=D(10))},
    )


def alerts_of(flow: FlowBuilder, config: SurveillanceConfig | None = None) -> list[ComplianceAlert]:
    agent = compliance_agent.build(limits(), config or SurveillanceConfig())
    out = run_process(agent, (record for _, record in flow.sorted_events()))
    return [alert for alert in out if isinstance(alert, ComplianceAlert)]


def run_watch(
    records: list[Record], config: SurveillanceConfig | None = None, account: str = "A"
) -> tuple[AccountWatch, list[Any]]:
    agent = compliance_agent.build(limits(), config or SurveillanceConfig())
    assert agent.process is not None
    watch = AccountWatch(account=account)
    out: list[Any] = []
    for record in records:
        watch, emitted = agent.process(watch, record, NoView())
        out.extend(emitted)
    return watch, out

"""Scoring the compliance agent against planted violations.

An alert *finds* a planted violation when it names the same rule and account and cites
every evidence id the violation lists (it may cite more: a message-rate alert lists the
whole second). Precision is the share of alerts that find some planted violation;
recall the share of planted violations some alert finds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from agents.compliance import agent as compliance_agent
from agents.scenarios.generator import PlantedViolation, Scenario, generate
from schemas import ComplianceAlert, InstrumentDefinition, Record
from schemas.view import TopOfBook
from streams.agent import Agent


class NoView:
    """The compliance and features agents read nothing from the view."""

    def mid(self, instrument: str) -> Decimal | None:
        return None

    def top(self, instrument: str) -> TopOfBook | None:
        return None

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        return None


def run_process(agent: Agent[Any], records: Iterable[Record]) -> list[Record]:
    """Feed ``records`` through a process agent in order, as the runtime would, keeping
    one state per key; returns everything it emitted."""
    assert agent.process is not None, f"{agent.name} is not a process agent"
    view, states, emitted = NoView(), dict[str, Any](), list[Record]()
    for record in records:
        if record.kind not in agent.kinds:
            continue
        key = agent.state_key(record)
        state = states.get(key)
        state, out = agent.process(agent.initial(key) if state is None else state, record, view)
        states[key] = state
        emitted.extend(out)
    return emitted


def scenario_alerts(scenario: Scenario) -> list[ComplianceAlert]:
    agent = compliance_agent.build(scenario.limits, scenario.config)
    alerts = run_process(agent, (record for _, record in scenario.events))
    assert all(isinstance(alert, ComplianceAlert) for alert in alerts)
    return [alert for alert in alerts if isinstance(alert, ComplianceAlert)]


def finds(alert: ComplianceAlert, violation: PlantedViolation) -> bool:
    return (
        alert.rule == violation.rule
        and alert.account == violation.account
        and set(violation.evidence) <= set(alert.evidence)
    )


def score(
    alerts: Sequence[ComplianceAlert], planted: Sequence[PlantedViolation]
) -> tuple[int, int]:
    """(alerts that find a planted violation, planted violations found)."""
    true_alerts = sum(1 for alert in alerts if any(finds(alert, v) for v in planted))
    found = sum(1 for v in planted if any(finds(alert, v) for alert in alerts))
    return true_alerts, found


def precision_recall(seeds: Iterable[int]) -> tuple[float, float]:
    """Precision and recall over the scenarios of ``seeds`` (1.0 when nothing to count)."""
    alerts_total = planted_total = true_alerts = found = 0
    for seed in seeds:
        scenario = generate(seed)
        alerts = scenario_alerts(scenario)
        hits, caught = score(alerts, scenario.planted)
        alerts_total += len(alerts)
        planted_total += len(scenario.planted)
        true_alerts += hits
        found += caught
    precision = true_alerts / alerts_total if alerts_total else 1.0
    recall = found / planted_total if planted_total else 1.0
    return precision, recall

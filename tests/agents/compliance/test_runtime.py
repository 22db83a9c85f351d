"""The compliance agent inside the embedded runtime, with the alerts table folding it."""

from __future__ import annotations

from agents.alerts import agent as alerts
from agents.compliance import agent as compliance
from agents.instruments import InstrumentRegistry
from agents.scenarios.evaluation import finds
from agents.scenarios.generator import generate
from agents.view import TablesView
from schemas import ComplianceAlert
from streams.records import new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.topics import COMPLIANCE_ALERTS


def test_planted_violations_reach_compliance_alerts_and_the_alerts_table(
    journal: SqliteJournal,
) -> None:
    scenario = generate(11, normal_accounts=2, normal_orders=20)
    with journal.transaction():
        journal.append_in_transaction(
            [new_record(topic, record) for topic, record in scenario.events]
        )
    registry = InstrumentRegistry()
    runtime = EmbeddedRuntime(
        journal,
        [compliance.build(scenario.limits, scenario.config), alerts.build()],
        lambda tables: TablesView(tables, registry),
        batch_size=64,
    )
    assert runtime.catchup().dead_letters == 0
    recorded = [
        ComplianceAlert.model_validate_json(r.payload)
        for r in journal.read_since(0, [COMPLIANCE_ALERTS], 1000)
    ]
    assert len(recorded) == len(scenario.planted)
    assert all(any(finds(a, v) for a in recorded) for v in scenario.planted)

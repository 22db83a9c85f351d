"""Wiring of the compliance agent.

``compliance`` (process, keyed by account): ``orders.events`` + ``exec.reports`` ->
``compliance.alerts``. Its state is working memory (windows, positions, spoofing
candidates), not a table: replay skips it, and the ``alerts`` table folds what it wrote.
"""

from __future__ import annotations

from typing import Any

from agents.compliance.config import SurveillanceConfig
from agents.compliance.state import AccountWatch
from agents.compliance.surveillance import INPUT_KINDS, Surveillance
from agents.risk.limits import RiskLimits
from streams.agent import Agent
from streams.topics import COMPLIANCE_ALERTS, EXEC_REPORTS, ORDERS_EVENTS

NAME = "compliance"


def account_key(record: Any) -> str:
    return str(record.account)


def build(limits: RiskLimits, config: SurveillanceConfig | None = None) -> Agent[AccountWatch]:
    """``limits`` are the risk limits the OMS enforces (restricted lists, position
    limits); ``config`` the windows and thresholds (``load_surveillance(path)``)."""
    surveillance = Surveillance(limits, config or SurveillanceConfig())
    return Agent(
        name=NAME,
        inputs=(ORDERS_EVENTS, EXEC_REPORTS),
        kinds=INPUT_KINDS,
        state_type=AccountWatch,
        initial=lambda key: AccountWatch(account=key),
        state_key=account_key,
        process=surveillance.process,
        output_topic=COMPLIANCE_ALERTS,
    )

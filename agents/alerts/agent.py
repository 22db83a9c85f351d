"""alerts: a fold over ``compliance.alerts``, one row per alert (``tapeline query alerts``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from schemas import ComplianceAlert
from streams.agent import Agent
from streams.topics import COMPLIANCE_ALERTS

NAME = "alerts"


class AlertRow(msgspec.Struct, kw_only=True):
    alert_id: str
    rule: str = ""
    account: str = ""
    instrument: str | None = None
    window_start_ts: int = 0
    window_end_ts: int = 0
    evidence: tuple[str, ...] = ()
    detail: str = ""
    ts_event: int = 0


def record_alert(row: AlertRow, alert: ComplianceAlert) -> AlertRow:
    return AlertRow(
        alert_id=alert.alert_id,
        rule=alert.rule,
        account=alert.account,
        instrument=alert.instrument,
        window_start_ts=alert.window_start_ts,
        window_end_ts=alert.window_end_ts,
        evidence=tuple(alert.evidence),
        detail=alert.detail,
        ts_event=alert.ts_event,
    )


def present(key: str, row: AlertRow, tables: Mapping[str, Any]) -> dict[str, Any]:
    return msgspec.structs.asdict(row) | {"evidence": list(row.evidence)}


def build() -> Agent[AlertRow]:
    return Agent(
        name=NAME,
        inputs=(COMPLIANCE_ALERTS,),
        kinds=frozenset({"compliance_alert"}),
        state_type=AlertRow,
        initial=lambda key: AlertRow(alert_id=key),
        state_key=lambda alert: f"{alert.account}|{alert.alert_id}",
        evolve=record_alert,
        present=present,
    )

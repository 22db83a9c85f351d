"""Post-trade surveillance alerts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Record
from schemas.types import Account, Id, InstrumentId, TsNs


class ComplianceAlert(Record):
    """Names the rule, the account, the window and the evidence (event ids)."""

    kind: Literal["compliance_alert"] = "compliance_alert"
    alert_id: Id
    rule: Id
    account: Account
    instrument: InstrumentId | None = None
    window_start_ts: TsNs
    window_end_ts: TsNs
    evidence: tuple[Id, ...] = Field(min_length=1, strict=False)
    """JSON arrays arrive as lists; the record keeps them as an immutable tuple."""
    detail: str

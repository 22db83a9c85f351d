"""Pre-trade risk decisions."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Account, ClOrdId, Id


class RiskDecision(Record):
    """The verdict on one request. A denial names the rule, the limit and what was seen."""

    kind: Literal["risk_decision"] = "risk_decision"
    account: Account
    cl_ord_id: ClOrdId
    approved: bool
    rule: Id | None = None
    limit: str | None = None
    observed: str | None = None
    reason: str = ""

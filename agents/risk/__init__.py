"""Pre-trade risk (DOMAIN.md; SEC 15c3-5 / MiFID II RTS 6 style): pure, fast checks.

``check(request, exposure, limits, view)`` is the whole engine. The OMS calls it inline
on every new order and replace; a gateway ``/risk/check`` or a NATS request/reply handler
calls it with ``agents.oms.exposure.account_exposure(book, ...)`` of the live OMS state.
"""

from agents.risk.checks import Denial
from agents.risk.engine import CHECK_ORDER, check, decision, evaluate, valuation_price
from agents.risk.exposure import AccountExposure, OrderTerms, ReplacedOrder, RiskRequest
from agents.risk.limits import (
    AccountLimits,
    InstrumentLimits,
    RiskLimits,
    limits_from_toml,
    load_limits,
)

__all__ = [
    "CHECK_ORDER",
    "AccountExposure",
    "AccountLimits",
    "Denial",
    "InstrumentLimits",
    "OrderTerms",
    "ReplacedOrder",
    "RiskLimits",
    "RiskRequest",
    "check",
    "decision",
    "evaluate",
    "limits_from_toml",
    "load_limits",
    "valuation_price",
]

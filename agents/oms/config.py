"""What the OMS's decide needs besides its state, the input and the view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agents.risk.limits import RiskLimits
from schemas import InstrumentDefinition
from schemas.view import View


def _none(instrument: str) -> InstrumentDefinition | None:
    return None


@dataclass(frozen=True, slots=True)
class OmsConfig:
    limits: RiskLimits = field(default_factory=RiskLimits)
    fallback_definition: Callable[[str], InstrumentDefinition | None] = _none
    """Where an instrument definition comes from when the view has none (the registry)."""
    record_risk_decisions: bool = True
    """Also emit a RiskDecision (to ``risk.decisions``) for every risk-checked request."""

    def definition(self, view: View, instrument: str) -> InstrumentDefinition | None:
        return view.instrument(instrument) or self.fallback_definition(instrument)

"""Read-only reference data an agent's ``decide`` may consult (a GlobalTable in faust)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from schemas.market import InstrumentDefinition


class View(Protocol):
    def mid(self, instrument: str) -> Decimal | None:
        """The latest mid of ``instrument``, or None before its first quote."""
        ...

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        """The definition of ``instrument``, or None when it is unknown."""
        ...

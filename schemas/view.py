"""Read-only reference data an agent's ``decide`` may consult (a GlobalTable in faust)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from schemas.market import InstrumentDefinition


class TopOfBook(Protocol):
    """The latest quote and trade of one instrument (None before the first of each)."""

    @property
    def bid(self) -> Decimal | None: ...
    @property
    def bid_size(self) -> Decimal | None: ...
    @property
    def ask(self) -> Decimal | None: ...
    @property
    def ask_size(self) -> Decimal | None: ...
    @property
    def quote_ts(self) -> int: ...
    @property
    def last_price(self) -> Decimal | None: ...
    @property
    def trade_ts(self) -> int: ...


class View(Protocol):
    def mid(self, instrument: str) -> Decimal | None:
        """The latest mid of ``instrument``, or None before its first quote."""
        ...

    def top(self, instrument: str) -> TopOfBook | None:
        """The latest quote and trade of ``instrument``, or None before any tick."""
        ...

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        """The definition of ``instrument``, or None when it is unknown."""
        ...

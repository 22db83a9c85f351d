"""The embedded runtime's reference view: latest ticks from the tickers table, and the
instrument registry."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.tickers.agent import NAME as TICKERS
from agents.tickers.state import Ticker
from schemas import InstrumentDefinition
from schemas.view import TopOfBook
from streams.state import Table


class TablesView:
    def __init__(self, tables: Mapping[str, Table[Any]], registry: InstrumentRegistry) -> None:
        self._tickers: dict[str, Ticker] = tables[TICKERS].states if TICKERS in tables else {}
        self._registry = registry

    def mid(self, instrument: str) -> Decimal | None:
        ticker = self._tickers.get(instrument)
        return None if ticker is None else ticker.mid

    def top(self, instrument: str) -> TopOfBook | None:
        return self._tickers.get(instrument)

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        return self._registry.get(instrument)

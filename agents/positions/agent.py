"""ptrc: positions per account and instrument, folding fills from ``exec.reports``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.positions.fold import apply_fill, unrealized_pnl
from agents.positions.state import Position
from agents.tickers.state import Ticker
from schemas import Fill, InstrumentDefinition
from streams.agent import Agent
from streams.topics import EXEC_REPORTS

NAME = "positions"


def position_key(fill: Fill) -> str:
    return f"{fill.account}|{fill.instrument}"


def build(registry: InstrumentRegistry) -> Agent[Position]:
    def initial(key: str) -> Position:
        account, _, instrument = key.partition("|")
        return Position(account=account, instrument=instrument)

    definitions: dict[str, InstrumentDefinition] = {}  # a dict lookup, not a method call

    def evolve(position: Position, fill: Fill) -> Position:
        definition = definitions.get(fill.instrument)
        if definition is None:
            definition = definitions[fill.instrument] = registry.require(fill.instrument)
        return apply_fill(position, fill, definition)

    def present(key: str, position: Position, tables: Mapping[str, Any]) -> dict[str, Any]:
        ticker: Ticker | None = tables.get("tickers", {}).get(position.instrument)
        mark = ticker.mark if ticker is not None else None
        definition = registry.get(position.instrument)
        unrealized = (
            unrealized_pnl(position, mark, definition.multiplier)
            if mark is not None and definition is not None
            else None
        )
        return {
            "account": position.account,
            "instrument": position.instrument,
            "qty": str(position.qty),
            "avg_price": str(position.avg_price),
            "realized_pnl": str(position.realized_pnl),
            "unrealized_pnl": None if unrealized is None else str(unrealized),
            "mark": None if mark is None else str(mark),
            "fees": {ccy: str(fee) for ccy, fee in sorted(position.fees.items())},
            "fills": position.fills,
            "bought": str(position.bought),
            "sold": str(position.sold),
            "last_ts": position.last_ts,
        }

    return Agent(
        name=NAME,
        inputs=(EXEC_REPORTS,),
        kinds=frozenset({"fill"}),
        state_type=Position,
        initial=initial,
        state_key=position_key,
        evolve=evolve,
        present=present,
    )

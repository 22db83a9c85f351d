"""Current PnL per account, computed when read from the positions and tickers tables.

``unrealized = q * m * (mark - A)`` with the ticker's mark (latest mid, else last trade;
DOMAIN.md). A position with no mark at all is listed under ``unmarked`` and adds nothing
to unrealized PnL. Amounts are also given per settlement currency, since an account may
hold instruments settled in different currencies; the account totals add them up as
they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.positions.fold import unrealized_pnl
from agents.positions.state import Position
from agents.tickers.state import Ticker

ZERO = Decimal(0)


class _AccountPnl:
    __slots__ = ("fees", "marks", "positions", "realized", "unmarked", "unrealized")

    def __init__(self) -> None:
        self.realized: dict[str, Decimal] = {}
        self.unrealized: dict[str, Decimal] = {}
        self.fees: dict[str, Decimal] = {}
        self.marks: dict[str, Decimal] = {}
        self.unmarked: list[str] = []
        self.positions = 0


def _add(amounts: dict[str, Decimal], currency: str, value: Decimal) -> None:
    amounts[currency] = amounts.get(currency, ZERO) + value


def pnl_rows(
    positions_states: Mapping[str, Position],
    tickers_states: Mapping[str, Ticker],
    registry: InstrumentRegistry,
) -> list[dict[str, Any]]:
    """One row per account, sorted by account (decimals as strings)."""
    accounts: dict[str, _AccountPnl] = {}
    for key in sorted(positions_states):
        position = positions_states[key]
        pnl = accounts.setdefault(position.account, _AccountPnl())
        definition = registry.require(position.instrument)
        currency = definition.settlement_currency
        _add(pnl.realized, currency, position.realized_pnl)
        for fee_currency, fee in position.fees.items():
            _add(pnl.fees, fee_currency, fee)
        if position.qty == ZERO:
            continue
        pnl.positions += 1
        ticker = tickers_states.get(position.instrument)
        mark = None if ticker is None else ticker.mark
        if mark is None:
            pnl.unmarked.append(position.instrument)
            continue
        pnl.marks[position.instrument] = mark
        _add(pnl.unrealized, currency, unrealized_pnl(position, mark, definition.multiplier))
    return [_row(account, pnl) for account, pnl in sorted(accounts.items())]


def _row(account: str, pnl: _AccountPnl) -> dict[str, Any]:
    realized = sum(pnl.realized.values(), ZERO)
    unrealized = sum(pnl.unrealized.values(), ZERO)
    currencies = sorted({*pnl.realized, *pnl.unrealized})
    return {
        "account": account,
        "realized_pnl": str(realized),
        "unrealized_pnl": str(unrealized),
        "total_pnl": str(realized + unrealized),
        "fees": _texts(pnl.fees),
        "marks": _texts(pnl.marks),
        "unmarked": pnl.unmarked,
        "open_positions": pnl.positions,
        "by_currency": {
            currency: {
                "realized_pnl": str(pnl.realized.get(currency, ZERO)),
                "unrealized_pnl": str(pnl.unrealized.get(currency, ZERO)),
            }
            for currency in currencies
        },
    }


def _texts(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {name: str(value) for name, value in sorted(amounts.items())}

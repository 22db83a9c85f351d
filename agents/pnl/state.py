"""Row types of the pnl agents: the marker's working memory and the PnL-over-time table."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from agents.positions.state import Position

ZERO = Decimal(0)


class PnlBook(msgspec.Struct, kw_only=True):
    """pnl-marker's memory for one account: its positions and what it last paid."""

    account: str
    positions: dict[str, Position] = msgspec.field(default_factory=dict)
    last_price: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """The last fill price per instrument: the mark when no quote has been seen."""


class PnlPoint(msgspec.Struct, frozen=True, array_like=True):
    """One point of the series: the account's PnL at the end of one event-time bucket."""

    ts: int
    """The bucket's start, ns."""
    realized: Decimal
    unrealized: Decimal


class PnlSeries(msgspec.Struct, kw_only=True):
    """The ``pnl`` table's row: an account's latest snapshot and a bounded history."""

    account: str
    ts_event: int = 0
    realized_pnl: Decimal = ZERO
    unrealized_pnl: Decimal = ZERO
    fees: dict[str, Decimal] = msgspec.field(default_factory=dict)
    marks: dict[str, Decimal] = msgspec.field(default_factory=dict)
    cause: str = ""
    snapshots: int = 0
    points: list[PnlPoint] = msgspec.field(default_factory=list)

"""A position row: one account in one instrument."""

from __future__ import annotations

from decimal import Decimal

import msgspec

ZERO = Decimal(0)


class Position(msgspec.Struct, kw_only=True):
    """Updated in place by ``apply_fill``: one position may take millions of fills."""

    account: str
    instrument: str
    qty: Decimal = ZERO
    """Signed: positive long, negative short."""
    avg_price: Decimal = ZERO
    """Average open price of the current position (0 when flat)."""
    realized_pnl: Decimal = ZERO
    """Closed PnL in the settlement currency, net of fees paid in that currency."""
    fees: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Fees paid, per currency."""
    fills: int = 0
    bought: Decimal = ZERO
    sold: Decimal = ZERO
    last_ts: int = 0

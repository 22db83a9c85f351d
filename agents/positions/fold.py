"""Average-cost netting (DOMAIN.md): pure, constant work per fill."""

from __future__ import annotations

from decimal import Decimal

from agents.positions.state import ZERO, Position
from schemas import Fill, InstrumentDefinition


def apply_fill(position: Position, fill: Fill, definition: InstrumentDefinition) -> Position:
    """Fold ``fill`` into ``position`` in place and return it.

    ``definition`` gives the multiplier and the settlement currency. Nothing here can
    raise once the first field changes, so a failed fill leaves the position as it was.

    This is the hot path of two agents (positions, pnl-marker), so it is written for the
    fewest decimal operations: the new quantity ``q' = q +- s`` is computed once and
    serves as the divisor of the new average and to tell a flip from a close. Every
    result is the one of the textbook formulas, digit for digit (decimal rounding is
    symmetric in sign): adding, ``A' = (|q| A + s p) / (|q| + s)``; reducing, realize
    ``min(|q|, s) * m * (p - A)`` (negated for a short); a flip opens at ``p``, a close
    to flat resets ``A`` to 0.
    """
    size = fill.qty
    price = fill.price
    qty = position.qty
    if fill.side == "buy":
        new_qty = qty + size
        if qty >= ZERO:
            position.avg_price = (qty * position.avg_price + size * price) / new_qty
        elif new_qty > ZERO:  # buys back the short and opens a long
            position.realized_pnl -= -qty * definition.multiplier * (price - position.avg_price)
            position.avg_price = price
        else:
            position.realized_pnl -= size * definition.multiplier * (price - position.avg_price)
            if not new_qty:
                position.avg_price = ZERO
        position.bought += size
    else:
        new_qty = qty - size
        if qty <= ZERO:
            # (q A - s p) / (q - s) is (|q| A + s p) / (|q| + s) with both signs flipped
            position.avg_price = (qty * position.avg_price - size * price) / new_qty
        elif new_qty < ZERO:  # sells the long and opens a short
            position.realized_pnl += qty * definition.multiplier * (price - position.avg_price)
            position.avg_price = price
        else:
            position.realized_pnl += size * definition.multiplier * (price - position.avg_price)
            if not new_qty:
                position.avg_price = ZERO
        position.sold += size
    position.qty = new_qty
    fee = fill.fee
    if fee:
        currency = fill.fee_currency
        fees = position.fees
        fees[currency] = fees.get(currency, ZERO) + fee
        if currency == definition.settlement_currency:
            position.realized_pnl -= fee
    position.fills += 1
    if fill.ts_event > position.last_ts:
        position.last_ts = fill.ts_event
    return position


def unrealized_pnl(position: Position, mark: Decimal, multiplier: Decimal) -> Decimal:
    """``q * m * (mark - A)``."""
    return position.qty * multiplier * (mark - position.avg_price)

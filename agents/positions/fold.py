"""Average-cost netting (DOMAIN.md): pure, constant work per fill."""

from __future__ import annotations

from decimal import Decimal

from agents.positions.state import ZERO, Position
from schemas import Fill, InstrumentDefinition


def apply_fill(position: Position, fill: Fill, definition: InstrumentDefinition) -> Position:
    """Fold ``fill`` into ``position`` in place and return it.

    ``definition`` gives the multiplier and the settlement currency. Nothing here can
    raise once the first field changes, so a failed fill leaves the position as it was.
    """
    size, price = fill.qty, fill.price
    qty, avg = position.qty, position.avg_price
    buying = fill.side == "buy"
    new_qty = qty + size if buying else qty - size
    held = -qty if qty < ZERO else qty
    if not qty or (qty > ZERO) == buying:
        position.avg_price = (held * avg + size * price) / (held + size)
    else:
        closed = held if held < size else size
        gain = closed * definition.multiplier * (price - avg)
        position.realized_pnl += gain if qty > ZERO else -gain
        if size > held:
            position.avg_price = price
        elif not new_qty:
            position.avg_price = ZERO
    position.qty = new_qty
    fee = fill.fee
    if fee:
        currency = fill.fee_currency
        fees = position.fees
        fees[currency] = fees.get(currency, ZERO) + fee
        if currency == definition.settlement_currency:
            position.realized_pnl -= fee
    position.fills += 1
    if buying:
        position.bought += size
    else:
        position.sold += size
    if fill.ts_event > position.last_ts:
        position.last_ts = fill.ts_event
    return position


def unrealized_pnl(position: Position, mark: Decimal, multiplier: Decimal) -> Decimal:
    """``q * m * (mark - A)``."""
    return position.qty * multiplier * (mark - position.avg_price)

"""Average-cost netting (DOMAIN.md): pure, constant work per fill."""

from __future__ import annotations

from decimal import Decimal

from agents.positions.state import ZERO, Position
from schemas import Fill, InstrumentDefinition


def apply_fill(position: Position, fill: Fill, definition: InstrumentDefinition) -> Position:
    """The position after ``fill``; ``definition`` gives the multiplier and settlement."""
    size, price = fill.qty, fill.price
    qty, avg = position.qty, position.avg_price
    realized = position.realized_pnl
    signed = size if fill.side == "buy" else -size
    new_qty = qty + signed
    if qty == ZERO or (qty > ZERO) == (signed > ZERO):
        held = abs(qty)
        avg = (held * avg + size * price) / (held + size)
    else:
        closed = min(abs(qty), size)
        direction = 1 if qty > ZERO else -1
        realized += closed * definition.multiplier * (price - avg) * direction
        if size > abs(qty):
            avg = price
        elif new_qty == ZERO:
            avg = ZERO
    fees = position.fees
    if fill.fee:
        fees = dict(fees)
        fees[fill.fee_currency] = fees.get(fill.fee_currency, ZERO) + fill.fee
        if fill.fee_currency == definition.settlement_currency:
            realized -= fill.fee
    return Position(
        account=position.account,
        instrument=position.instrument,
        qty=new_qty,
        avg_price=avg,
        realized_pnl=realized,
        fees=fees,
        fills=position.fills + 1,
        bought=position.bought + size if signed > ZERO else position.bought,
        sold=position.sold if signed > ZERO else position.sold + size,
        last_ts=max(position.last_ts, fill.ts_event),
    )


def unrealized_pnl(position: Position, mark: Decimal, multiplier: Decimal) -> Decimal:
    """``q * m * (mark - A)``."""
    return position.qty * multiplier * (mark - position.avg_price)

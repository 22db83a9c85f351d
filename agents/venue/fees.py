"""Maker/taker fees of the paper venue.

``fee = qty * price * multiplier * bps / 10000``, rounded half-even to ``quantum``
(default 1e-8, the smallest unit any settlement currency we list is counted in, so a
small crypto fill is not rounded to zero). Arithmetic runs in a wide private context so
the result is exact before that one rounding, whatever the ambient decimal context. A
negative bps is a rebate and gives a negative fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

_EXACT = Context(prec=100, rounding=ROUND_HALF_EVEN)
"""Wide enough that products of record-sized decimals (< 1e15 each) are exact."""
_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class VenueFees:
    maker_bps: Decimal = Decimal(1)
    """Charged on fills of resting orders (they provided the liquidity)."""
    taker_bps: Decimal = Decimal(5)
    """Charged on fills of orders that took the touch on arrival or replace."""
    quantum: Decimal = Decimal("0.00000001")

    def __post_init__(self) -> None:
        for name in ("maker_bps", "taker_bps", "quantum"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"VenueFees.{name} must be a finite Decimal, got {value!r}")
        if self.quantum <= 0:
            raise ValueError(f"VenueFees.quantum must be positive, got {self.quantum}")

    def bps(self, liquidity: str) -> Decimal:
        return self.maker_bps if liquidity == "maker" else self.taker_bps

    def fee(self, qty: Decimal, price: Decimal, multiplier: Decimal, liquidity: str) -> Decimal:
        notional = _EXACT.multiply(_EXACT.multiply(qty, price), multiplier)
        raw = _EXACT.divide(_EXACT.multiply(notional, self.bps(liquidity)), _BPS)
        return raw.quantize(self.quantum, context=_EXACT)

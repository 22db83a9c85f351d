"""Execution-quality formulas of DOMAIN.md, as pure functions over exact decimals.

Conventions, so that a report is the same bytes wherever it is computed:

* Arithmetic runs in :data:`TCA_CONTEXT` (34 significant digits, ROUND_HALF_EVEN), never
  in the thread's ambient decimal context, which any library may have changed.
* Every bps figure is quantized to :data:`BPS_EXPONENT` (0.0001 bps) with ROUND_HALF_EVEN:
  a ratio such as 1/3 has no finite decimal form, and an unquantized result would carry
  34 digits of noise into the log and the dashboards.
* Amounts in currency or price units (spreads, shortfall) are not quantized: they are
  sums and products of the inputs, exact unless a division is involved.
* ``side`` is ``"buy"`` or ``"sell"``; costs are positive, markouts are positive when the
  price moved in the order's favour.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import NamedTuple

from schemas.types import side_sign

TCA_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
BPS_EXPONENT = Decimal("0.0001")
BPS = Decimal(10_000)
ZERO = Decimal(0)
ONE = Decimal(1)
TWO = Decimal(2)


def quantize_bps(value: Decimal) -> Decimal:
    """``value`` (already in bps) rounded half-even to 0.0001 bps; never ``-0.0000``."""
    rounded = value.quantize(BPS_EXPONENT, rounding=ROUND_HALF_EVEN, context=TCA_CONTEXT)
    return rounded.copy_abs() if rounded == ZERO else rounded


def _signed_ratio_bps(side: str, later: Decimal, earlier: Decimal, base: Decimal) -> Decimal:
    """``side * (later - earlier) / base * 1e4``, quantized."""
    with localcontext(TCA_CONTEXT):
        return quantize_bps(side_sign(side) * (later - earlier) * BPS / base)


def average_price(notional: Decimal, qty: Decimal) -> Decimal | None:
    """``sum(q * p) / sum(q)``; None for no quantity (no fill, or no market trade)."""
    if qty == ZERO:
        return None
    with localcontext(TCA_CONTEXT):
        return notional / qty


def arrival_slippage_bps(side: str, avg_exec: Decimal, arrival_mid: Decimal) -> Decimal:
    """``side * (avg_exec - P0) / P0 * 1e4``."""
    return _signed_ratio_bps(side, avg_exec, arrival_mid, arrival_mid)


def vwap_slippage_bps(side: str, avg_exec: Decimal, market_vwap: Decimal) -> Decimal:
    """``side * (avg_exec - VWAP) / VWAP * 1e4``."""
    return _signed_ratio_bps(side, avg_exec, market_vwap, market_vwap)


class Shortfall(NamedTuple):
    amount: Decimal
    """In currency (price x quantity x multiplier), fees included."""
    bps: Decimal
    """``amount / (S * Pd * multiplier) * 1e4``."""


def implementation_shortfall(
    side: str,
    intended_qty: Decimal,
    filled_qty: Decimal,
    filled_notional: Decimal,
    decision_price: Decimal,
    end_price: Decimal | None,
    fees: Decimal,
    multiplier: Decimal = ONE,
) -> Shortfall | None:
    """Perold: ``side * (sum s_j (p_j - Pd) + (S - sum s_j)(Pn - Pd)) + fees``.

    ``filled_notional`` is ``sum s_j p_j``, so ``sum s_j (p_j - Pd)`` is
    ``filled_notional - filled_qty * Pd``. The multiplier turns price points into
    currency (DOMAIN.md writes the formula for a multiplier of 1). ``end_price`` (Pn)
    only matters for the unfilled rest: None when some quantity is unfilled makes the
    shortfall unmeasurable (None).
    """
    unfilled = intended_qty - filled_qty
    with localcontext(TCA_CONTEXT):
        if unfilled == ZERO:
            opportunity = ZERO
        elif end_price is None:
            return None
        else:
            opportunity = unfilled * (end_price - decision_price)
        execution = filled_notional - filled_qty * decision_price
        amount = side_sign(side) * (execution + opportunity) * multiplier + fees
        bps = quantize_bps(amount * BPS / (intended_qty * decision_price * multiplier))
        return Shortfall(amount, bps)


def effective_spread(side: str, exec_price: Decimal, arrival_mid: Decimal) -> Decimal:
    """``2 * side * (exec - mid_at_arrival)``, in price units."""
    with localcontext(TCA_CONTEXT):
        return TWO * side_sign(side) * (exec_price - arrival_mid)


def realized_spread(side: str, exec_price: Decimal, later_mid: Decimal) -> Decimal:
    """``2 * side * (exec - mid_{exec time + delta})``, in price units."""
    with localcontext(TCA_CONTEXT):
        return TWO * side_sign(side) * (exec_price - later_mid)


def markout_bps(side: str, exec_price: Decimal, later_mid: Decimal) -> Decimal:
    """``side * (mid_{t+h} - exec) / exec * 1e4``: positive when the price moved in favour."""
    return _signed_ratio_bps(side, later_mid, exec_price, exec_price)


def fill_rate(cum_qty: Decimal, order_qty: Decimal) -> Decimal:
    """``cum_qty / order_qty`` (34 significant digits)."""
    with localcontext(TCA_CONTEXT):
        return cum_qty / order_qty


def latency_ns(start_ts: int, end_ts: int | None) -> int | None:
    """``end - start`` in ns; None when the end never happened (no fill)."""
    return None if end_ts is None else end_ts - start_ts

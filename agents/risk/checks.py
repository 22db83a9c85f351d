"""One pure function per pre-trade check of DOMAIN.md.

Each takes plain values and returns None (pass) or a ``Denial`` naming the rule, the
limit and the observed value, so every rejection can be recorded and audited. They
compare exactly (no division where a product does) and format only on denial.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

SECOND_NS: Final = 1_000_000_000
BPS: Final = Decimal(10_000)

DUPLICATE_CL_ORD_ID: Final = "duplicate_cl_ord_id"
MESSAGE_RATE: Final = "message_rate"
TRADING_STATE: Final = "trading_state"
RESTRICTED_INSTRUMENT: Final = "restricted_instrument"
MAX_ORDER_QTY: Final = "max_order_qty"
PRICE_COLLAR: Final = "price_collar"
MAX_ORDER_NOTIONAL: Final = "max_order_notional"
POSITION_LIMIT: Final = "position_limit"
CREDIT_LIMIT: Final = "credit_limit"


@dataclass(frozen=True, slots=True)
class Denial:
    rule: str
    limit: str
    observed: str
    reason: str


def _text(value: Decimal) -> str:
    """A decimal as plain text (no exponent), for limits and observed values."""
    return f"{value:f}"


def check_duplicate_cl_ord_id(cl_ord_id: str, used: bool) -> Denial | None:
    if not used:
        return None
    return Denial(
        DUPLICATE_CL_ORD_ID,
        "unique per account",
        cl_ord_id,
        f"ClOrdID {cl_ord_id!r} was already used by this account",
    )


def recent_messages(message_ts: Sequence[int], ts: int, window_ns: int = SECOND_NS) -> int:
    """Messages with a time in ``(ts - window, ts]``; ``message_ts`` is sorted."""
    return bisect_right(message_ts, ts) - bisect_right(message_ts, ts - window_ns)


def check_message_rate(ts: int, message_ts: Sequence[int], limit: int) -> Denial | None:
    """Every message counts, this one included, in the rolling second ending at ``ts``."""
    count = recent_messages(message_ts, ts) + 1
    if count <= limit:
        return None
    return Denial(
        MESSAGE_RATE,
        str(limit),
        str(count),
        f"{count} messages in the last second, over the limit of {limit} per second",
    )


def reduces_exposure(
    side: str, working_qty: Decimal, position: Decimal, open_same_side: Decimal
) -> bool:
    """True when the order (with the account's other orders on its side) can only shrink
    the position toward flat, never flip it."""
    if side == "buy":
        return position < 0 and working_qty + open_same_side <= -position
    return position > 0 and working_qty + open_same_side <= position


def check_trading_state(state: str, reduces: bool) -> Denial | None:
    if state == "ACTIVE" or (state == "REDUCING" and reduces):
        return None
    reason = (
        "account is REDUCING: only orders that reduce the position are allowed"
        if state == "REDUCING"
        else f"account is {state}: no new orders or replaces"
    )
    return Denial(TRADING_STATE, "ACTIVE", state, reason)


def check_restricted(instrument: str, restricted: frozenset[str]) -> Denial | None:
    if instrument not in restricted:
        return None
    return Denial(
        RESTRICTED_INSTRUMENT,
        "not restricted",
        instrument,
        f"{instrument} is on the restricted list",
    )


def check_max_qty(qty: Decimal, limit: Decimal) -> Denial | None:
    if qty <= limit:
        return None
    return Denial(
        MAX_ORDER_QTY,
        _text(limit),
        _text(qty),
        f"order quantity {_text(qty)} is over the limit {_text(limit)}",
    )


def check_price_collar(
    limit_price: Decimal, reference_mid: Decimal | None, collar_bps: Decimal
) -> Denial | None:
    """``|price - mid| / mid * 1e4 <= collar``; no reference price is a denial."""
    if reference_mid is None:
        return Denial(
            PRICE_COLLAR,
            f"{_text(collar_bps)} bps",
            "no reference price",
            "no reference price (no quote yet) for a price-sensitive check",
        )
    distance = abs(limit_price - reference_mid)
    if distance * BPS <= collar_bps * reference_mid:
        return None
    observed = f"{distance * BPS / reference_mid:.2f} bps"
    return Denial(
        PRICE_COLLAR,
        f"{_text(collar_bps)} bps",
        observed,
        f"limit price {_text(limit_price)} is {observed} from the mid "
        f"{_text(reference_mid)}, outside the collar",
    )


def check_max_notional(notional: Decimal | None, limit: Decimal) -> Denial | None:
    """``notional`` is None when a market order has no reference price to value it."""
    if notional is None:
        return Denial(
            MAX_ORDER_NOTIONAL,
            _text(limit),
            "no reference price",
            "a market order needs a reference price (a quote) to be valued",
        )
    if notional <= limit:
        return None
    return Denial(
        MAX_ORDER_NOTIONAL,
        _text(limit),
        _text(notional),
        f"order notional {_text(notional)} is over the limit {_text(limit)}",
    )


def check_position_limit(position_after: Decimal, limit: Decimal | None) -> Denial | None:
    """``position_after`` is the signed position if this order and every working order
    on its side filled."""
    if limit is None or abs(position_after) <= limit:
        return None
    return Denial(
        POSITION_LIMIT,
        _text(limit),
        _text(position_after),
        f"position would reach {_text(position_after)}, over the limit {_text(limit)}",
    )


def check_credit(exposure_after: Decimal, limit: Decimal) -> Denial | None:
    """Open-order notional + position notional, this order included, within credit."""
    if exposure_after <= limit:
        return None
    return Denial(
        CREDIT_LIMIT,
        _text(limit),
        _text(exposure_after),
        f"exposure would reach {_text(exposure_after)}, over the credit limit {_text(limit)}",
    )

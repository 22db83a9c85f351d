"""Field types shared by every record: exact decimals, integer-ns times, typed ids.

Decimals travel as JSON strings. A JSON number where a decimal belongs is refused: a
binary float has already lost the exact value by the time it reaches us.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, NewType

from pydantic import BeforeValidator, Field, PlainSerializer, StrictInt

Account = NewType("Account", str)
ClOrdId = NewType("ClOrdId", str)
InstrumentId = NewType("InstrumentId", str)

MAX_ABS_DECIMAL = Decimal("1e15")
"""Larger magnitudes are not prices, sizes or money on any venue: treat them as corrupt."""

MIN_TS_NS = 0
MAX_TS_NS = 2**63 - 1


def _decimal_from_wire(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value[:40]!r}") from None
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"decimals are JSON strings (got {type(value).__name__} {value!r}); "
            'write "1.5", not 1.5'
        )
    else:
        parsed = Decimal(value)
    if not parsed.is_finite():
        raise ValueError(f"decimal must be finite, got {value!r}")
    if abs(parsed) >= MAX_ABS_DECIMAL:
        raise ValueError(f"decimal {value!r} is absurdly large (limit {MAX_ABS_DECIMAL})")
    return parsed


_as_string = PlainSerializer(str, return_type=str, when_used="json")

Dec = Annotated[Decimal, BeforeValidator(_decimal_from_wire), _as_string]
"""Any finite exact decimal: PnL, fees, signed amounts."""

PositiveDec = Annotated[Decimal, BeforeValidator(_decimal_from_wire), Field(gt=0), _as_string]
"""A strictly positive exact decimal: prices, sizes, order quantities."""

NonNegativeDec = Annotated[Decimal, BeforeValidator(_decimal_from_wire), Field(ge=0), _as_string]

TsNs = Annotated[StrictInt, Field(ge=MIN_TS_NS, le=MAX_TS_NS)]
"""UTC nanoseconds since the epoch."""

Id = Annotated[str, Field(min_length=1, max_length=128)]

Side = Literal["buy", "sell"]
Aggressor = Literal["buy", "sell", "none"]
OrderType = Literal["market", "limit"]
TimeInForce = Literal["DAY", "IOC", "GTC"]
TradingState = Literal["ACTIVE", "REDUCING", "HALTED"]


def side_sign(side: str) -> int:
    """+1 for a buy, -1 for a sell (DOMAIN.md)."""
    return 1 if side == "buy" else -1

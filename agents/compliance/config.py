"""Surveillance windows and thresholds, loaded from TOML.

Every key is optional (what is left out keeps its default); a file looks like this::

    wash_window_ms = 60000          # buy and sell of the same instrument within this
    wash_price_bps = "10"           # ... at prices this close (bps of the earlier price)
    wash_size_pct = "10"            # ... and sizes this close (% of the larger size)

    spoof_large_multiple = "10"     # large = >= this x the account's median order size
    spoof_large_qty = "500"         # ... or >= this quantity (optional)
    spoof_min_orders = 5            # orders seen before the median is trusted
    spoof_median_orders = 101       # how many recent orders the median is taken over
    spoof_near_touch_bps = "10"     # limit within this of the arrival mid
    spoof_cancel_within_ms = 5000   # canceled within this of its acceptance

    cancel_ratio_window_ms = 60000
    cancel_ratio_threshold = "10"   # alert when cancels > threshold x fills ...
    cancel_ratio_min_cancels = 20   # ... and there are at least this many cancels

    max_messages_per_second = 100   # client messages on orders.events, rolling second
    dedup_window_ms = 3600000       # how long a fill's ExecID is remembered
    max_evidence = 50               # most event ids one alert lists

Quantities and thresholds are decimal strings (an integer is exact and accepted too); a
TOML float is refused because it has already lost the exact value. Restricted lists and
position limits are not here: they come from the risk limits (``agents.risk.limits``),
so pre-trade and post-trade checks can never disagree on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import msgspec

from agents.config_files import parse_toml, read_config
from schemas import TapelineError

MAX_WINDOW_MS: Final = 7 * 24 * 3600 * 1000
"""A week: a longer surveillance window is a typo, not a policy."""


class SurveillanceConfig(msgspec.Struct, frozen=True, kw_only=True):
    wash_window_ms: int = 60_000
    wash_price_bps: Decimal = Decimal(10)
    wash_size_pct: Decimal = Decimal(10)
    spoof_large_multiple: Decimal = Decimal(10)
    spoof_large_qty: Decimal | None = None
    spoof_min_orders: int = 5
    spoof_median_orders: int = 101
    spoof_near_touch_bps: Decimal = Decimal(10)
    spoof_cancel_within_ms: int = 5_000
    cancel_ratio_window_ms: int = 60_000
    cancel_ratio_threshold: Decimal = Decimal(10)
    cancel_ratio_min_cancels: int = 20
    max_messages_per_second: int = 100
    dedup_window_ms: int = 3_600_000
    max_evidence: int = 50


_DECIMAL_KEYS: Final = frozenset(
    {
        "wash_price_bps",
        "wash_size_pct",
        "spoof_large_multiple",
        "spoof_large_qty",
        "spoof_near_touch_bps",
        "cancel_ratio_threshold",
    }
)
_WINDOW_KEYS: Final = frozenset(
    {"wash_window_ms", "spoof_cancel_within_ms", "cancel_ratio_window_ms", "dedup_window_ms"}
)
_COUNT_KEYS: Final = frozenset(
    {
        "spoof_min_orders",
        "spoof_median_orders",
        "cancel_ratio_min_cancels",
        "max_messages_per_second",
        "max_evidence",
    }
)
_MAX_COUNT: Final = 1_000_000


def load_surveillance(path: Path | str) -> SurveillanceConfig:
    """Read a surveillance file; a bad file raises TapelineError naming the line and key."""
    path = Path(path)
    return surveillance_from_toml(read_config(path, "surveillance config"), source=str(path))


def surveillance_from_toml(text: str, source: str = "<surveillance>") -> SurveillanceConfig:
    return _Parser(source, text).config(parse_toml(text, source))


class _Parser:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def fail(self, key: str, message: str) -> TapelineError:
        return TapelineError(f"{self.source}:{self._line_of(key)}: {key}: {message}")

    def _line_of(self, key: str) -> str:
        """The line that sets ``key`` (TOML keeps no positions once parsed)."""
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return f"line {number}"
        return "?"

    def config(self, document: Mapping[str, Any]) -> SurveillanceConfig:
        known = SurveillanceConfig.__struct_fields__
        changes: dict[str, Any] = {}
        for key, value in document.items():
            if key not in known:
                raise self.fail(key, f"unknown key; the keys are: {', '.join(sorted(known))}")
            if key in _DECIMAL_KEYS:
                changes[key] = self._positive_decimal(key, value)
            elif key in _WINDOW_KEYS:
                changes[key] = self._integer(key, value, MAX_WINDOW_MS)
            else:
                assert key in _COUNT_KEYS, key
                changes[key] = self._integer(key, value, _MAX_COUNT)
        return SurveillanceConfig(**changes)

    def _positive_decimal(self, key: str, value: Any) -> Decimal:
        if isinstance(value, float):
            raise self.fail(
                key,
                f'write decimals as strings ("{value}"), not the TOML float {value}: '
                "a float has already lost the exact value",
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(key, f"must be a decimal string, got {type(value).__name__}")
        try:
            parsed = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise self.fail(key, f"not a decimal number: {str(value)[:40]!r}") from None
        if not parsed.is_finite() or parsed <= 0:
            raise self.fail(key, f"must be a finite number > 0, got {value!r}")
        return parsed

    def _integer(self, key: str, value: Any, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if not 0 < value <= maximum:
            raise self.fail(key, f"must be between 1 and {maximum}, got {value}")
        return value

"""Risk limits: per-account and per-instrument configuration, loaded from TOML.

A file looks like this (every section and key is optional; what is left out keeps the
built-in default)::

    [account]                      # defaults for every account
    max_order_qty = "1000"
    max_order_notional = "1000000"
    credit_limit = "5000000"       # open-order notional + position notional
    max_messages_per_second = 50   # new + replace + cancel, rolling second
    trading_state = "ACTIVE"       # ACTIVE | REDUCING | HALTED
    restricted = ["synthetic:BRAVO"]   # firm-wide restricted list

    [instrument]                   # defaults for every instrument
    price_collar_bps = "500"
    max_order_qty = "100"
    position_limit = "1000"

    [accounts.ACC-1]               # overrides: only the keys given change
    credit_limit = "250000"
    restricted = ["synthetic:CHARLIE"] # added to the firm-wide list

    [instruments."binance-futures:BTCUSDT"]
    position_limit = "50"

Quantities and money are decimal strings (an integer is exact and accepted too); a TOML
float is refused because it has already lost the exact value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import msgspec

from agents.config_files import parse_toml, read_config
from schemas import TapelineError
from schemas.types import TradingState

TRADING_STATES: Final = frozenset({"ACTIVE", "REDUCING", "HALTED"})
MAX_MESSAGE_RATE: Final = 10_000
"""The OMS remembers at most this many message times per account (see oms/state.py)."""


class AccountLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Limits of one account; the defaults suit the synthetic feed and the sample data."""

    max_order_qty: Decimal = Decimal(1_000_000)
    max_order_notional: Decimal = Decimal(10_000_000)
    credit_limit: Decimal = Decimal(100_000_000)
    max_messages_per_second: int = 1000
    trading_state: TradingState = "ACTIVE"
    """The state an account starts in before any TradingStateChanged."""
    restricted: frozenset[str] = frozenset()


class InstrumentLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Limits of one instrument; None means no instrument-level cap."""

    price_collar_bps: Decimal = Decimal(1000)
    max_order_qty: Decimal | None = None
    position_limit: Decimal | None = None


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Defaults plus fully resolved overrides (an override already holds the defaults)."""

    default_account: AccountLimits = AccountLimits()
    default_instrument: InstrumentLimits = InstrumentLimits()
    accounts: dict[str, AccountLimits] = msgspec.field(default_factory=dict)
    instruments: dict[str, InstrumentLimits] = msgspec.field(default_factory=dict)

    def for_account(self, account: str) -> AccountLimits:
        return self.accounts.get(account, self.default_account)

    def for_instrument(self, instrument: str) -> InstrumentLimits:
        return self.instruments.get(instrument, self.default_instrument)


def load_limits(path: Path | str) -> RiskLimits:
    """Read a limits file; a bad file raises TapelineError naming the file and the key."""
    path = Path(path)
    return limits_from_toml(read_config(path, "risk limits"), source=str(path))


def limits_from_toml(text: str, source: str = "<limits>") -> RiskLimits:
    return _Parser(source).limits(parse_toml(text, source))


_ACCOUNT_KEYS = frozenset(AccountLimits.__struct_fields__)
_INSTRUMENT_KEYS = frozenset(InstrumentLimits.__struct_fields__)
_TOP_KEYS = frozenset({"account", "instrument", "accounts", "instruments"})


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> TapelineError:
        return TapelineError(f"{self.source}: {where}: {message}")

    def limits(self, document: Mapping[str, Any]) -> RiskLimits:
        self._known_keys("top level", document, _TOP_KEYS)
        account = self._account(
            "account", self._table("account", document.get("account", {})), AccountLimits()
        )
        instrument = self._instrument(
            "instrument",
            self._table("instrument", document.get("instrument", {})),
            InstrumentLimits(),
        )
        accounts = {
            name: self._account(f"accounts.{name}", self._table(f"accounts.{name}", entry), account)
            for name, entry in self._table("accounts", document.get("accounts", {})).items()
        }
        instruments = {
            name: self._instrument(
                f"instruments.{name}", self._table(f"instruments.{name}", entry), instrument
            )
            for name, entry in self._table("instruments", document.get("instruments", {})).items()
        }
        return RiskLimits(
            default_account=account,
            default_instrument=instrument,
            accounts=accounts,
            instruments=instruments,
        )

    def _table(self, where: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table ([{where}]), got {type(value).__name__}")
        return value

    def _known_keys(self, where: str, table: Mapping[str, Any], known: frozenset[str]) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}" if where != "top level" else unknown[0],
                f"unknown key; the keys are: {', '.join(sorted(known))}",
            )

    def _account(self, where: str, table: Mapping[str, Any], base: AccountLimits) -> AccountLimits:
        self._known_keys(where, table, _ACCOUNT_KEYS)
        changes: dict[str, Any] = {}
        for name in ("max_order_qty", "max_order_notional", "credit_limit"):
            if name in table:
                changes[name] = self._positive(f"{where}.{name}", table[name])
        if "max_messages_per_second" in table:
            changes["max_messages_per_second"] = self._rate(
                f"{where}.max_messages_per_second", table["max_messages_per_second"]
            )
        if "trading_state" in table:
            state = table["trading_state"]
            if not isinstance(state, str) or state not in TRADING_STATES:
                raise self.fail(
                    f"{where}.trading_state",
                    f"must be one of {', '.join(sorted(TRADING_STATES))}, got {state!r}",
                )
            changes["trading_state"] = state
        if "restricted" in table:
            # An account's list adds to the firm-wide one rather than replacing it.
            extra = self._instrument_list(f"{where}.restricted", table["restricted"])
            changes["restricted"] = base.restricted | extra
        return msgspec.structs.replace(base, **changes)

    def _instrument(
        self, where: str, table: Mapping[str, Any], base: InstrumentLimits
    ) -> InstrumentLimits:
        self._known_keys(where, table, _INSTRUMENT_KEYS)
        changes: dict[str, Any] = {}
        if "price_collar_bps" in table:
            collar = self._decimal(f"{where}.price_collar_bps", table["price_collar_bps"])
            if collar < 0:
                raise self.fail(f"{where}.price_collar_bps", f"must be >= 0, got {collar}")
            changes["price_collar_bps"] = collar
        for name in ("max_order_qty", "position_limit"):
            if name in table:
                changes[name] = self._positive(f"{where}.{name}", table[name])
        return msgspec.structs.replace(base, **changes)

    def _decimal(self, where: str, value: Any) -> Decimal:
        if isinstance(value, float):
            raise self.fail(
                where,
                f'write decimals as strings ("{value}"), not the TOML float {value}: '
                "a float has already lost the exact value",
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(where, f"must be a decimal string, got {type(value).__name__}")
        try:
            parsed = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise self.fail(where, f"not a decimal number: {str(value)[:40]!r}") from None
        if not parsed.is_finite():
            raise self.fail(where, f"must be finite, got {value!r}")
        return parsed

    def _positive(self, where: str, value: Any) -> Decimal:
        parsed = self._decimal(where, value)
        if parsed <= 0:
            raise self.fail(where, f"must be > 0, got {parsed}")
        return parsed

    def _rate(self, where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be an integer, got {value!r}")
        if not 0 < value <= MAX_MESSAGE_RATE:
            raise self.fail(where, f"must be between 1 and {MAX_MESSAGE_RATE}, got {value}")
        return value

    def _instrument_list(self, where: str, value: Any) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(where, 'must be a list of instrument ids, like ["venue:SYMBOL"]')
        return frozenset(value)

"""Exact field parsers shared by the venue parsers: decimals, times, JSON objects.

No float is ever created: decimals come from their strings, JSON numbers are decoded as
``Decimal`` (and then refused where a decimal belongs: venues send decimals as strings),
and ISO-8601 fractions are read digit by digit. Each parser raises ``BadInput`` with a
reason a human can act on.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.normalizer.parsed import BadInput, clip
from schemas import InstrumentId
from schemas.types import MAX_ABS_DECIMAL, MAX_TS_NS

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000

_DECIMAL = re.compile(r"[0-9]{1,30}(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?")
"""Plain ASCII decimals: no sign, no NaN/Infinity, no underscores, no spaces."""

_DIGITS = re.compile(r"[0-9]{1,19}")

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,18}))?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def positive_decimal(text: object, what: str) -> Decimal:
    """A strictly positive exact decimal from its string, or ``BadInput``."""
    if not isinstance(text, str):
        raise BadInput(f"{what} must be a decimal string, got {type(text).__name__}")
    if not _DECIMAL.fullmatch(text):
        if text == "":
            raise BadInput(f"{what} is empty")
        raise BadInput(f"{what} is not a positive decimal: {clip(text)[:40]!r}")
    value = Decimal(text)
    if value <= 0:
        raise BadInput(f"{what} must be positive, got {text!r}")
    if value >= MAX_ABS_DECIMAL:
        raise BadInput(f"{what} {text!r} is absurdly large (limit {MAX_ABS_DECIMAL})")
    return value


def checked_ts(ns: int, what: str) -> int:
    if ns <= 0 or ns > MAX_TS_NS:
        raise BadInput(f"{what} {ns} ns is outside 1 .. 2**63-1")
    return ns


def ts_from_digits(text: str, unit_ns: int, what: str) -> int:
    """An integer time in ``unit_ns`` units written as ASCII digits, to ns."""
    if not _DIGITS.fullmatch(text):
        raise BadInput(f"{what} is not an integer timestamp: {clip(text)[:40]!r}")
    return checked_ts(int(text) * unit_ns, what)


def ts_from_json_int(value: object, unit_ns: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{what} must be an integer, got {type(value).__name__}")
    return checked_ts(value * unit_ns, what)


def ts_from_iso8601(text: object, what: str = "time") -> int:
    """``2020-02-22T00:00:02.123456789Z`` (or ``+hh:mm``) to UTC ns, without float."""
    if not isinstance(text, str):
        raise BadInput(f"{what} must be an ISO-8601 string, got {type(text).__name__}")
    match = _ISO.fullmatch(text)
    if match is None:
        raise BadInput(f"{what} is not an ISO-8601 UTC time: {clip(text)[:40]!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:  # validates the calendar (Feb 30, hour 24, leap second 60 are refused)
        datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError as error:
        raise BadInput(f"{what} {text!r}: {error}") from None
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    offset = match.group(8)
    if offset != "Z":
        offset_hours, offset_minutes = int(offset[1:3]), int(offset[4:6])
        if offset_hours > 23 or offset_minutes > 59:
            raise BadInput(f"{what} has a bad UTC offset: {offset!r}")
        shift = offset_hours * 3600 + offset_minutes * 60
        seconds -= shift if offset[0] == "+" else -shift
    fraction = match.group(7) or ""
    nanos = int(fraction[:9].ljust(9, "0")) if fraction else 0  # beyond ns: truncated
    return checked_ts(seconds * NS_PER_S + nanos, what)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def json_object(message: str | bytes | bytearray | Mapping[str, Any]) -> Mapping[str, Any]:
    """The message as a JSON object; floats are decoded as exact ``Decimal``."""
    if isinstance(message, Mapping):
        return message
    if isinstance(message, bytes | bytearray):
        try:
            message = bytes(message).decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadInput(f"message is not valid UTF-8 (byte {error.start})") from None
    if not isinstance(message, str):
        raise BadInput(f"message must be JSON text, got {type(message).__name__}")
    try:
        decoded = json.loads(message, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise BadInput(f"malformed JSON: {clip(str(error))[:120]}") from None
    if not isinstance(decoded, dict):
        raise BadInput(f"message must be a JSON object, got {type(decoded).__name__}")
    return decoded


def required(data: Mapping[str, Any], field: str, what: str) -> Any:
    if field not in data:
        raise BadInput(f"{what} is missing field {field!r}")
    return data[field]


def text_id(value: object, what: str) -> str:
    """A trade/product id: a non-negative JSON integer or a non-empty string of <= 128 chars."""
    if isinstance(value, bool):
        raise BadInput(f"{what} must be an integer or a string, got bool")
    if isinstance(value, int):
        if value < 0 or value.bit_length() > 425:  # 2**425 > 10**128: too long an id
            raise BadInput(f"{what} must be between 0 and 10**128")
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise BadInput(f"{what} must be an integer or a string, got {type(value).__name__}")
    if not text or len(text) > 128:
        raise BadInput(f"{what} must have 1 to 128 characters, got {len(text)}")
    return text


def sequence_number(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"{what} must be a non-negative integer, got {clip(repr(value))[:40]}")
    return value


def known_instrument(registry: InstrumentRegistry, venue: str, symbol: str) -> InstrumentId:
    """``venue:symbol`` when the registry defines it, else ``BadInput`` saying how to add it."""
    instrument = f"{venue}:{symbol}"
    if instrument not in registry:
        raise BadInput(
            f"unknown instrument {clip(instrument)[:80]!r}; add it with --instruments FILE.toml"
        )
    return InstrumentId(instrument)

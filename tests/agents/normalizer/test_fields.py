from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.normalizer.fields import positive_decimal, ts_from_digits, ts_from_iso8601
from agents.normalizer.parsed import BadInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9682", "9682"), ("0.132", "0.132"), ("0.00100000", "0.00100000"), ("1e-05", "0.00001")],
)
def test_decimals_are_exact(text: str, expected: str) -> None:
    value = positive_decimal(text, "price")
    assert value == Decimal(expected)
    assert str(value) == str(Decimal(text))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("NaN", "not a positive decimal"),
        ("nan", "not a positive decimal"),
        ("Infinity", "not a positive decimal"),
        ("-1", "not a positive decimal"),
        ("0", "must be positive"),
        ("0.000", "must be positive"),
        ("1_000", "not a positive decimal"),
        (" 1", "not a positive decimal"),
        ("١٢", "not a positive decimal"),  # Arabic-Indic digits: Decimal() would take them
        ("1e20", "absurdly large"),
        ("0x10", "not a positive decimal"),
    ],
)
def test_bad_decimals_say_why(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        positive_decimal(text, "price")


def test_a_json_number_is_not_a_decimal_string() -> None:
    with pytest.raises(BadInput, match="must be a decimal string"):
        positive_decimal(Decimal("1.5"), "price")


def test_microsecond_timestamps_become_ns() -> None:
    assert ts_from_digits("1582329602111000", 1_000, "timestamp") == 1582329602111000000


@pytest.mark.parametrize("text", ["", "-5", "0", "12a", "1.5", "99999999999999999", "1e6"])
def test_bad_timestamps_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="timestamp"):
        ts_from_digits(text, 1_000, "timestamp")


def test_iso_time_keeps_nanoseconds() -> None:
    assert ts_from_iso8601("2020-02-22T00:00:02.123456789Z") == 1582329602123456789
    assert ts_from_iso8601("2020-02-22T00:00:02.1Z") == 1582329602100000000
    assert ts_from_iso8601("2020-02-22T00:00:02Z") == 1582329602000000000
    assert ts_from_iso8601("2020-02-22T01:30:02.5+01:30") == 1582329602500000000
    assert ts_from_iso8601("2020-02-22T00:00:02.1234567891234Z") == 1582329602123456789


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-30T00:00:00Z",
        "2020-02-22T24:00:00Z",
        "2020-02-22T00:00:60Z",
        "2020-02-22T00:00:00",
        "2020-02-22",
        "2020-02-22T00:00:00.Z",
        "2020-02-22T00:00:00+25:00",
        "1969-12-31T23:59:59Z",
    ],
)
def test_bad_iso_times_are_refused(text: str) -> None:
    with pytest.raises(BadInput):
        ts_from_iso8601(text)


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2),  # noqa: DTZ001
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    extra_ns=st.integers(0, 999),
)
def test_iso_parser_agrees_with_datetime(moment: datetime, extra_ns: int) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{extra_ns:03d}Z"
    expected = (moment - EPOCH) // timedelta(microseconds=1) * 1000 + extra_ns
    assert ts_from_iso8601(text) == expected

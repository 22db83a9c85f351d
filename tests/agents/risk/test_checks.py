"""Each pre-trade check passes and fails, and a denial names rule, limit and observed."""

from __future__ import annotations

from decimal import Decimal

from agents.risk import checks
from agents.risk.checks import Denial

D = Decimal
S = 1_000_000_000


def named(denial: Denial | None) -> tuple[str, str, str]:
    assert denial is not None
    assert denial.reason
    return denial.rule, denial.limit, denial.observed


def test_duplicate_cl_ord_id() -> None:
    assert checks.check_duplicate_cl_ord_id("C-1", used=False) is None
    assert named(checks.check_duplicate_cl_ord_id("C-1", used=True)) == (
        "duplicate_cl_ord_id",
        "unique per account",
        "C-1",
    )


def test_message_rate_counts_this_message_in_a_rolling_second() -> None:
    times = [10, 20, S + 5]
    assert checks.recent_messages(times, S + 10) == 2  # (10, S + 10] holds 20 and S + 5
    assert checks.check_message_rate(S + 10, times, limit=3) is None
    assert named(checks.check_message_rate(S + 10, times, limit=2)) == ("message_rate", "2", "3")
    assert checks.check_message_rate(S + 20, times, limit=2) is None  # 20 has rolled out
    assert checks.recent_messages(times, 15) == 1  # later messages do not count


def test_trading_state() -> None:
    assert checks.check_trading_state("ACTIVE", reduces=False) is None
    assert checks.check_trading_state("REDUCING", reduces=True) is None
    assert named(checks.check_trading_state("REDUCING", reduces=False)) == (
        "trading_state",
        "ACTIVE",
        "REDUCING",
    )
    assert named(checks.check_trading_state("HALTED", reduces=True))[2] == "HALTED"


def test_reduces_exposure() -> None:
    assert checks.reduces_exposure("sell", D(4), position=D(10), open_same_side=D(6))
    assert not checks.reduces_exposure("sell", D(5), position=D(10), open_same_side=D(6))
    assert not checks.reduces_exposure("buy", D(1), position=D(10), open_same_side=D(0))
    assert checks.reduces_exposure("buy", D(3), position=D(-3), open_same_side=D(0))
    assert not checks.reduces_exposure("buy", D(1), position=D(0), open_same_side=D(0))


def test_restricted() -> None:
    assert checks.check_restricted("x:A", frozenset({"x:B"})) is None
    assert named(checks.check_restricted("x:B", frozenset({"x:B"}))) == (
        "restricted_instrument",
        "not restricted",
        "x:B",
    )


def test_max_qty() -> None:
    assert checks.check_max_qty(D(10), D(10)) is None
    assert named(checks.check_max_qty(D("10.5"), D(10))) == ("max_order_qty", "10", "10.5")


def test_price_collar() -> None:
    # 100 bps of a 100 mid is 1.00: 101 is on the edge, 101.01 outside.
    assert checks.check_price_collar(D(101), D(100), D(100)) is None
    assert checks.check_price_collar(D(99), D(100), D(100)) is None
    assert named(checks.check_price_collar(D("101.01"), D(100), D(100))) == (
        "price_collar",
        "100 bps",
        "101.00 bps",
    )
    assert named(checks.check_price_collar(D(100), None, D(100))) == (
        "price_collar",
        "100 bps",
        "no reference price",
    )


def test_max_notional() -> None:
    assert checks.check_max_notional(D(1000), D(1000)) is None
    assert named(checks.check_max_notional(D("1000.01"), D(1000))) == (
        "max_order_notional",
        "1000",
        "1000.01",
    )
    assert named(checks.check_max_notional(None, D(1000)))[2] == "no reference price"


def test_position_limit_is_symmetric_and_optional() -> None:
    assert checks.check_position_limit(D(-50), D(50)) is None
    assert checks.check_position_limit(D(10**9), None) is None
    assert named(checks.check_position_limit(D(-51), D(50))) == ("position_limit", "50", "-51")


def test_credit() -> None:
    assert checks.check_credit(D(5000), D(5000)) is None
    assert named(checks.check_credit(D(5001), D(5000))) == ("credit_limit", "5000", "5001")

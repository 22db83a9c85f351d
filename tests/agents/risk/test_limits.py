"""Loading risk limits from TOML: defaults, overrides, and clear errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from agents.risk.limits import AccountLimits, InstrumentLimits, RiskLimits, load_limits
from schemas import TapelineError

D = Decimal

GOOD = """
[account]
max_order_qty = "1000"
max_order_notional = "1000000"
credit_limit = 5000000
max_messages_per_second = 50
restricted = ["synthetic:BRAVO"]

[instrument]
price_collar_bps = "500"
position_limit = "1000"

[accounts.ACC-1]
credit_limit = "250000"
trading_state = "REDUCING"
restricted = ["synthetic:CHARLIE"]

[instruments."binance-futures:BTCUSDT"]
max_order_qty = "10.5"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "limits.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_overrides(tmp_path: Path) -> None:
    limits = load_limits(write(tmp_path, GOOD))
    other = limits.for_account("ACC-9")
    assert other.max_order_qty == D(1000)
    assert other.credit_limit == D(5_000_000)
    assert other.restricted == frozenset({"synthetic:BRAVO"})
    acc = limits.for_account("ACC-1")
    assert acc.credit_limit == D(250_000)
    assert acc.max_order_qty == D(1000)  # inherited
    assert acc.trading_state == "REDUCING"
    assert acc.restricted == frozenset({"synthetic:BRAVO", "synthetic:CHARLIE"})
    btc = limits.for_instrument("binance-futures:BTCUSDT")
    assert (btc.max_order_qty, btc.price_collar_bps, btc.position_limit) == (
        D("10.5"),
        D(500),
        D(1000),
    )
    assert limits.for_instrument("synthetic:ALPHA").max_order_qty is None


def test_an_empty_file_gives_the_built_in_defaults(tmp_path: Path) -> None:
    assert load_limits(write(tmp_path, "")) == RiskLimits()
    assert RiskLimits().for_account("x") == AccountLimits()
    assert RiskLimits().for_instrument("x") == InstrumentLimits()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[account]\ncredit_limit = 1.5\n", r"account\.credit_limit: write decimals as strings"),
        ("[account]\ncredit_limit = \n", r"not valid TOML: .*line 2"),
        ('[account]\ncredit_limit = "-5"\n', r"account\.credit_limit: must be > 0"),
        ('[account]\ncredit_limit = "lots"\n', r"account\.credit_limit: not a decimal"),
        ('[accounts.A]\nmax_messages_per_second = "5"\n', r"accounts\.A\.max_messages_per_second"),
        ("[accounts.A]\nmax_messages_per_second = 0\n", r"between 1 and"),
        ('[accounts.A]\ntrading_state = "PAUSED"\n', r"accounts\.A\.trading_state: must be one of"),
        ('[accounts.A]\ncredit_limt = "5"\n', r"accounts\.A\.credit_limt: unknown key"),
        ('[instruments."x:Y"]\nprice_collar_bps = "-1"\n', r"instruments\.x:Y\.price_collar_bps"),
        ('[account]\nrestricted = "x:Y"\n', r"account\.restricted: must be a list"),
        ("accounts = 3\n", r"accounts: must be a table"),
        ("limits = 3\n", r"limits: unknown key"),
        ('[instrument]\nposition_limit = "nan"\n', r"position_limit: must be finite"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TapelineError, match=expected) as caught:
        load_limits(path)
    assert str(caught.value).startswith(str(path))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TapelineError, match="cannot read the risk limits"):
        load_limits(tmp_path / "nope.toml")

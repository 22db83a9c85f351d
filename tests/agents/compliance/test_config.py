from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from agents.compliance.config import (
    SurveillanceConfig,
    load_surveillance,
    surveillance_from_toml,
)
from schemas import TapelineError


def test_an_empty_file_keeps_every_default() -> None:
    assert surveillance_from_toml("") == SurveillanceConfig()


def test_a_file_overrides_only_the_keys_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "surveillance.toml"
    path.write_text(
        'wash_price_bps = "2.5"\nspoof_large_qty = 500\nmax_messages_per_second = 7\n',
        encoding="utf-8",
    )
    config = load_surveillance(path)
    assert config.wash_price_bps == Decimal("2.5")
    assert config.spoof_large_qty == Decimal(500)
    assert config.max_messages_per_second == 7
    assert config.wash_window_ms == SurveillanceConfig().wash_window_ms


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('wash_price_bps = "1"\n\nwash_window_ms = = 3\n', encoding="utf-8")
    with pytest.raises(TapelineError, match=r"bad\.toml: not valid TOML: .*line 3"):
        load_surveillance(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\nwash_size_pct = 1.5\n", r":line 2: wash_size_pct: write decimals as strings"),
        ("a = 1\n", r":line 1: a: unknown key; the keys are: "),
        ('\n\nwash_window_ms = "60"\n', r":line 3: wash_window_ms: must be an integer"),
        ("max_evidence = 0\n", r":line 1: max_evidence: must be between 1 and"),
        ('spoof_near_touch_bps = "-1"\n', r":line 1: spoof_near_touch_bps: must be a finite"),
        ('wash_price_bps = "ten"\n', r":line 1: wash_price_bps: not a decimal number"),
        ("spoof_min_orders = true\n", r":line 1: spoof_min_orders: must be an integer"),
    ],
)
def test_a_bad_value_names_the_line_and_the_key(text: str, message: str) -> None:
    with pytest.raises(TapelineError, match=message):
        surveillance_from_toml(text, source="s.toml")


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(TapelineError, match="cannot read the surveillance config"):
        load_surveillance(tmp_path / "missing.toml")

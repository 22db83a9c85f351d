"""The NautilusTrader comparison's fills and its equality check, on a few hundred fills."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench import nautilus
from bench.nautilus import Snapshot, check_equal


def test_fills_keep_one_long_position_open() -> None:
    held = Decimal(0)
    for spec in nautilus.make_specs(2000):
        held += spec.qty if spec.buy else -spec.qty
        assert held >= nautilus.LOT
        assert spec.price == spec.price.quantize(Decimal("0.1"))
    assert nautilus.make_specs(50) == nautilus.make_specs(50)


def test_both_folds_agree_on_the_same_fills() -> None:
    result = nautilus.compare(fills=400, nautilus_max=400, block=100)
    assert [e["fills"] for e in result["equality"]] == [400]
    check = result["equality"][0]
    assert Decimal(check["realized_pnl"]) != 0  # sells closed something
    assert check["pnl_abs_diff"] <= check["pnl_tolerance"]
    assert result["max_pnl_abs_diff"] == check["pnl_abs_diff"]
    assert len(result["ns_per_fill_blocks"]) == len(result["nautilus_ns_per_fill_blocks"]) == 4


def test_nautilus_side_stops_at_its_cap() -> None:
    result = nautilus.compare(fills=300, nautilus_max=200, block=100)
    assert result["nautilus_fills"] == 200
    assert len(result["nautilus_ns_per_fill_blocks"]) == 2
    assert result["equality"] == []  # the only checkpoint (300) is beyond the cap


SAME = Snapshot(1000, Decimal("1.5"), Decimal("10000.25"), Decimal("-12.5"))


def test_equality_check_accepts_float_rounding() -> None:
    theirs = SAME._replace(
        avg_price=Decimal("10000.250000000001"), realized_pnl=Decimal("-12.50000001")
    )
    assert check_equal(SAME, theirs)["fills"] == 1000


@pytest.mark.parametrize(
    "theirs",
    [
        SAME._replace(qty=Decimal("1.501")),
        SAME._replace(avg_price=Decimal("10000.26")),
        SAME._replace(realized_pnl=Decimal("-12.52")),  # 0.02 > 1000 x 1e-8
    ],
)
def test_equality_check_rejects_real_differences(theirs: Snapshot) -> None:
    with pytest.raises(AssertionError):
        check_equal(SAME, theirs)

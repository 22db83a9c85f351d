"""Hand-computed vectors for every DOMAIN.md execution-quality formula."""

from __future__ import annotations

from decimal import Decimal as D

from agents.exeq.metrics import (
    arrival_slippage_bps,
    average_price,
    effective_spread,
    fill_rate,
    implementation_shortfall,
    latency_ns,
    markout_bps,
    quantize_bps,
    realized_spread,
    vwap_slippage_bps,
)


def test_buy_vectors() -> None:
    # A buy of 2: fills 1 @ 100.10 and 1 @ 100.30, arrival mid 100.
    # avg = (100.10 + 100.30) / 2 = 100.20
    avg = average_price(D("200.40"), D("2"))
    assert avg == D("100.20")
    # arrival: +1 * (100.20 - 100) / 100 * 1e4 = 20 bps
    assert arrival_slippage_bps("buy", D("100.20"), D("100")) == D("20.0000")
    # VWAP of trades 1 @ 100.0 and 3 @ 100.4 = 401.2 / 4 = 100.3;
    # +1 * (100.20 - 100.3) / 100.3 * 1e4 = -1000 / 100.3 = -9.970089730... -> -9.9701
    assert vwap_slippage_bps("buy", D("100.20"), D("100.3")) == D("-9.9701")
    # effective spread: 2 * +1 * (100.20 - 100) = 0.40
    assert effective_spread("buy", D("100.20"), D("100")) == D("0.40")
    # realized spread with mid 100.25 at t + delta: 2 * (100.20 - 100.25) = -0.10
    assert realized_spread("buy", D("100.20"), D("100.25")) == D("-0.10")
    # markout: +1 * (100.25 - 100.20) / 100.20 * 1e4 = 500 / 100.2 = 4.99001996 -> 4.9900
    assert markout_bps("buy", D("100.20"), D("100.25")) == D("4.9900")


def test_buy_implementation_shortfall_fully_filled() -> None:
    # S = 2, fills sum(s p) = 200.40, Pd = 100, fees 0.02, nothing unfilled (Pn unused):
    # IS = +1 * (200.40 - 2 * 100) + 0.02 = 0.42; bps = 0.42 / (2 * 100) * 1e4 = 21
    shortfall = implementation_shortfall(
        "buy", D("2"), D("2"), D("200.40"), D("100"), None, D("0.02")
    )
    assert shortfall is not None
    assert shortfall.amount == D("0.42")
    assert shortfall.bps == D("21.0000")


def test_sell_vectors() -> None:
    # A sell filled at 49.90, arrival mid 50.
    # arrival: -1 * (49.90 - 50) / 50 * 1e4 = 20 bps (selling below the mid is a cost)
    assert arrival_slippage_bps("sell", D("49.90"), D("50")) == D("20.0000")
    # VWAP 50.10: -1 * (49.90 - 50.10) / 50.10 * 1e4 = 2000 / 50.1 = 39.92015968 -> 39.9202
    assert vwap_slippage_bps("sell", D("49.90"), D("50.10")) == D("39.9202")
    # effective spread: 2 * -1 * (49.90 - 50) = 0.20
    assert effective_spread("sell", D("49.90"), D("50")) == D("0.20")
    # mid 49.70 later: realized 2 * -1 * (49.90 - 49.70) = -0.40
    assert realized_spread("sell", D("49.90"), D("49.70")) == D("-0.40")
    # markout: -1 * (49.70 - 49.90) / 49.90 * 1e4 = 2000 / 49.9 = 40.08016032 -> 40.0802
    assert markout_bps("sell", D("49.90"), D("49.70")) == D("40.0802")


def test_sell_partial_fill_carries_opportunity_cost() -> None:
    # S = 10, filled 4 @ 49.90 (sum s p = 199.60), Pd = 50, Pn = 49.50, fees 0.2:
    # IS = -1 * ((199.60 - 4 * 50) + (10 - 4) * (49.50 - 50)) + 0.2
    #    = -1 * (-0.40 - 3.00) + 0.2 = 3.6;   bps = 3.6 / (10 * 50) * 1e4 = 72
    shortfall = implementation_shortfall(
        "sell", D("10"), D("4"), D("199.60"), D("50"), D("49.50"), D("0.2")
    )
    assert shortfall is not None
    assert shortfall.amount == D("3.6")
    assert shortfall.bps == D("72.0000")
    # With a multiplier of 10 the price points are worth 10 each, the fee is not scaled:
    # IS = 3.4 * 10 + 0.2 = 34.2;   bps = 34.2 / (10 * 50 * 10) * 1e4 = 68.4
    scaled = implementation_shortfall(
        "sell", D("10"), D("4"), D("199.60"), D("50"), D("49.50"), D("0.2"), D("10")
    )
    assert scaled is not None
    assert (scaled.amount, scaled.bps) == (D("34.2"), D("68.4000"))
    # 4 of 10 filled
    assert fill_rate(D("4"), D("10")) == D("0.4")


def test_shortfall_of_an_unfilled_rest_needs_an_end_price() -> None:
    assert implementation_shortfall("buy", D("3"), D("1"), D("100"), D("100"), None, D(0)) is None
    # Nothing filled: pure opportunity cost. +1 * (3 * (100.5 - 100)) = 1.5;
    # bps = 1.5 / 300 * 1e4 = 50
    nothing = implementation_shortfall("buy", D("3"), D("0"), D("0"), D("100"), D("100.5"), D(0))
    assert nothing is not None
    assert (nothing.amount, nothing.bps) == (D("1.5"), D("50.0000"))


def test_bps_round_half_even_to_a_fixed_exponent() -> None:
    assert str(quantize_bps(D("0.00005"))) == "0.0000"  # half to even: down
    assert str(quantize_bps(D("0.00015"))) == "0.0002"  # half to even: up
    assert str(quantize_bps(D("-0.00005"))) == "0.0000"  # never "-0.0000"
    assert str(quantize_bps(D("12"))) == "12.0000"
    # 1/3 bps of a ratio: +1 * (100 + 1/300 ... ) -> a fixed number of places
    assert arrival_slippage_bps("buy", D("100.01"), D("300")).as_tuple().exponent == -4


def test_fill_rate_and_latencies() -> None:
    # 1 / 3 in 34 significant digits
    assert fill_rate(D("1"), D("3")) == D("0." + "3" * 34)
    assert fill_rate(D("5"), D("5")) == D("1")
    assert latency_ns(1_000, 1_250) == 250
    assert latency_ns(1_000, None) is None
    assert average_price(D("0"), D("0")) is None

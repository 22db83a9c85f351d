"""Maker/taker fees: exact decimals, currency from the instrument, rounding."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from agents.venue import VenueFees
from tests.agents.venue.support import D, Venue, accepted, fills, market
from tests.factories import quote, trade


def test_taker_and_maker_fees_are_exact() -> None:
    venue = Venue()
    venue.send(quote(ask="10000.5", ask_size="1"))
    taker = fills(venue.send(market(qty="0.4")))[0]
    # 0.4 * 10000.5 * 1 * 5 / 10000
    assert (taker.fee, str(taker.fee), taker.fee_currency) == (D("2.0001"), "2.00010000", "USDT")
    assert taker.liquidity == "taker"
    venue.send(accepted(order_id="O-2", limit_price="9990"))
    maker = fills(venue.send(trade(price="9989", size="0.3")))[0]
    # 0.3 * 9990 * 1 * 1 / 10000
    assert (maker.fee, maker.liquidity) == (D("0.2997"), "maker")


def test_multiplier_and_settlement_currency_come_from_the_instrument() -> None:
    charlie = "synthetic:CHARLIE"  # multiplier 10, settles in USD
    venue = Venue()
    venue.send(quote(instrument=charlie, bid="99.95", ask="100.05", ask_size="30"))
    fill = fills(venue.send(market(instrument=charlie, qty="20")))[0]
    # 20 * 100.05 * 10 * 5 / 10000
    assert (fill.fee, fill.fee_currency) == (D("10.005"), "USD")


def test_configured_fees_and_a_maker_rebate() -> None:
    venue = Venue(VenueFees(maker_bps=D("-0.25"), taker_bps=D("7.5")))
    venue.send(quote(ask="10000", ask_size="1"))
    assert fills(venue.send(market(qty="1")))[0].fee == D("7.5")
    venue.send(accepted(order_id="O-2", limit_price="9990"))
    rebate = fills(venue.send(trade(price="9980", size="1")))[0]
    assert rebate.fee == D("-0.24975")


def test_fee_rounds_half_even_to_the_quantum_whatever_the_context() -> None:
    fees = VenueFees()
    # 0.00001 * 10000.05 * 5 / 10000 = 0.00005000025 -> 0.00005000
    assert str(fees.fee(D("0.00001"), D("10000.05"), D(1), "taker")) == "0.00005000"
    # exactly half a quantum: 0.000000125 -> 0.00000012 (half even)
    assert fees.fee(D("0.0025"), D("0.5"), D(1), "maker") == D("0.00000012")
    coarse = VenueFees(quantum=D("0.01"))
    with localcontext() as ctx:
        ctx.prec = 3  # a narrow ambient context must not change the result
        assert coarse.fee(D("123.456"), D("98765.4321"), D(1), "taker") == D("6096.59")


@pytest.mark.parametrize("bad", [{"quantum": D(0)}, {"maker_bps": Decimal("NaN")}])
def test_bad_fee_configuration_is_refused(bad: dict[str, Decimal]) -> None:
    with pytest.raises(ValueError, match="VenueFees"):
        VenueFees(**bad)

"""Average-cost netting by hand (DOMAIN.md), and the identity it must keep."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.instruments import InstrumentRegistry
from agents.positions.fold import apply_fill, unrealized_pnl
from agents.positions.state import Position
from streams.codec import decode_payload
from streams.state import encode_state
from tests import factories

REGISTRY = InstrumentRegistry()
BTC = REGISTRY.require(factories.BTC)
CHARLIE = REGISTRY.require("synthetic:CHARLIE")  # multiplier 10, settles in USD


def _flat(instrument: str = factories.BTC) -> Position:
    return Position(account="ACC-1", instrument=instrument)


def test_the_issue_vector_buy_buy_sell_with_a_tenth_percent_fee() -> None:
    position = _flat()
    for side, qty, price in (("buy", 12, 10000), ("buy", 17, 9999), ("sell", 9, 10001)):
        fee = Decimal(qty) * Decimal(price) * Decimal("0.001")
        fill = factories.fill(side=side, qty=str(qty), price=str(price), fee=str(fee))
        position = apply_fill(position, fill, BTC)
    # A = (12 x 10000 + 17 x 9999) / 29 = 289983 / 29
    average = Decimal(289983) / Decimal(29)
    assert position.avg_price == average
    assert position.qty == Decimal(20)
    # fees: 120 + 169.983 + 90.009 = 379.992 USDT
    assert position.fees == {"USDT": Decimal("379.992")}
    # realized = 9 x (10001 - A) - fees
    assert position.realized_pnl == 9 * (Decimal(10001) - average) - Decimal("379.992")
    assert round(position.realized_pnl, 6) == Decimal("-365.716138")


def test_a_flip_opens_the_remainder_at_the_fill_price() -> None:
    position = apply_fill(_flat(), factories.fill(side="buy", qty="2", price="100"), BTC)
    position = apply_fill(position, factories.fill(side="sell", qty="5", price="110"), BTC)
    assert position.qty == Decimal(-3)
    assert position.avg_price == Decimal(110)
    assert position.realized_pnl == Decimal(20)  # 2 x (110 - 100)


def test_closing_to_flat_resets_the_average() -> None:
    position = apply_fill(_flat(), factories.fill(side="sell", qty="4", price="50"), BTC)
    position = apply_fill(position, factories.fill(side="buy", qty="4", price="45"), BTC)
    assert position.qty == 0
    assert position.avg_price == 0
    assert position.realized_pnl == Decimal(20)  # short 4 from 50 covered at 45


def test_multiplier_and_fees_in_another_currency() -> None:
    position = _flat("synthetic:CHARLIE")
    position = apply_fill(
        position,
        factories.fill(
            instrument="synthetic:CHARLIE", qty="3", price="20", fee="1", fee_currency="USD"
        ),
        CHARLIE,
    )
    position = apply_fill(
        position,
        factories.fill(
            instrument="synthetic:CHARLIE",
            side="sell",
            qty="1",
            price="21",
            fee="0.5",
            fee_currency="BNB",
        ),
        CHARLIE,
    )
    assert position.realized_pnl == Decimal(10) - Decimal(1)  # 1 x 10 x (21 - 20) - the USD fee
    assert position.fees == {"USD": Decimal(1), "BNB": Decimal("0.5")}
    assert unrealized_pnl(position, Decimal(25), CHARLIE.multiplier) == Decimal(100)  # 2 x 10 x 5


fills = st.lists(
    st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 1000), st.integers(1, 100_000)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(fills, st.integers(1, 100_000))
def test_realized_plus_unrealized_equals_the_cash_flows(
    trades: list[tuple[str, int, int]], mark: int
) -> None:
    position = _flat("synthetic:CHARLIE")
    cash = Decimal(0)
    for side, qty, cents in trades:
        price = Decimal(cents) / 100
        fill = factories.fill(
            instrument="synthetic:CHARLIE", side=side, qty=str(qty), price=str(price)
        )
        position = apply_fill(position, fill, CHARLIE)
        cash += (-1 if side == "buy" else 1) * qty * price * CHARLIE.multiplier
    signed = sum((q if s == "buy" else -q) for s, q, _ in trades)
    assert position.qty == signed
    assert position.fills == len(trades)
    total = position.realized_pnl + unrealized_pnl(position, Decimal(mark), CHARLIE.multiplier)
    expected = cash + signed * CHARLIE.multiplier * mark
    assert abs(total - expected) < Decimal("1e-12") * (1 + abs(expected))


def _textbook_fill(position: Position, fill: Any, multiplier: Decimal, settles: str) -> None:
    """DOMAIN.md's formulas written plainly: the fold computes them with fewer decimal
    operations and must agree digit for digit (exponents included)."""
    size, price, qty, avg = fill.qty, fill.price, position.qty, position.avg_price
    buying = fill.side == "buy"
    new_qty = qty + size if buying else qty - size
    held = -qty if qty < 0 else qty
    if not qty or (qty > 0) == buying:
        position.avg_price = (held * avg + size * price) / (held + size)
    else:
        closed = held if held < size else size
        gain = closed * multiplier * (price - avg)
        position.realized_pnl += gain if qty > 0 else -gain
        if size > held:
            position.avg_price = price
        elif not new_qty:
            position.avg_price = Decimal(0)
    position.qty = new_qty
    if fill.fee:
        position.fees[fill.fee_currency] = position.fees.get(fill.fee_currency, 0) + fill.fee
        if fill.fee_currency == settles:
            position.realized_pnl -= fill.fee
    position.fills += 1
    if buying:
        position.bought += size
    else:
        position.sold += size
    position.last_ts = max(position.last_ts, fill.ts_event)


decimal_texts = st.sampled_from(
    ["1", "2", "3", "0.5", "1.50", "1E+1", "10", "0.001", "2.000", "0.3", "7.77", "1E+2"]
)
price_texts = st.sampled_from(["100", "100.5", "99.99", "1E+2", "101.000", "7", "123456.789"])
fee_texts = st.sampled_from(["0", "0.1", "0.10", "1E-2", "0.00", "-0.05", "3"])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([factories.BTC, "synthetic:CHARLIE"]),
    st.lists(
        st.tuples(
            st.sampled_from(["buy", "sell"]),
            decimal_texts,
            price_texts,
            fee_texts,
            st.sampled_from(["USDT", "USD", "BNB"]),
        ),
        min_size=1,
        max_size=60,
    ),
)
def test_the_fold_gives_the_textbook_results_digit_for_digit(
    instrument: str, trades: list[tuple[str, str, str, str, str]]
) -> None:
    definition = REGISTRY.require(instrument)
    fast, textbook = _flat(instrument), _flat(instrument)
    for number, (side, qty, price, fee, currency) in enumerate(trades):
        record = factories.fill(
            exec_id=f"X-{number}", instrument=instrument, side=side, qty=qty, price=price,
            fee=fee, fee_currency=currency, ts_event=factories.T0 + number,
        )  # fmt: skip
        fill = decode_payload("fill", record.model_dump_json())  # what the runtime passes
        apply_fill(fast, fill, definition)
        _textbook_fill(textbook, fill, definition.multiplier, definition.settlement_currency)
        assert encode_state(fast) == encode_state(textbook)

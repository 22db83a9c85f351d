"""pnl-marker: a snapshot per fill, hand-computed; dedup; determinism."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.instruments import InstrumentRegistry
from agents.pnl.marker import PnlMarker
from agents.pnl.state import PnlBook
from schemas import PnlSnapshot
from streams.codec import decode_payload, fact_id
from streams.state import encode_state
from tests.agents.exeq.support import FixedView
from tests.factories import BTC, T0, fill

ETH = "binance-futures:ETHUSDT"
CHARLIE = "synthetic:CHARLIE"
MARKER = PnlMarker(InstrumentRegistry())


def run(fills: list[Any], view: FixedView, marker: PnlMarker = MARKER):
    book = PnlBook(account="ACC-1")
    out: list[PnlSnapshot] = []
    for item in fills:
        book, snapshots = marker.process(book, item, view)
        out.extend(snapshots)  # type: ignore[arg-type]
    return book, out


def vector() -> list[Any]:
    # fees are 0.1% of the notional, in USDT (BTCUSDT settles in USDT)
    return [
        fill(exec_id="X-1", side="buy", qty="12", price="10000", fee="120", ts_event=T0),
        # 0.001 * 17 * 9999 = 169.983
        fill(exec_id="X-2", side="buy", qty="17", price="9999", fee="169.983", ts_event=T0 + 1),
        # 0.001 * 9 * 10001 = 90.009
        fill(exec_id="X-3", side="sell", qty="9", price="10001", fee="90.009", ts_event=T0 + 2),
    ]


def test_buy_buy_sell_with_fees() -> None:
    book, snapshots = run(vector(), FixedView({BTC: D("10002")}))
    assert [s.cause for s in snapshots] == ["X-1", "X-2", "X-3"]
    first, second, third = snapshots
    # after X-1: realized = -120 (the fee); q 12 @ 10000 marked at 10002: 12 * 2 = 24
    assert (first.realized_pnl, first.unrealized_pnl) == (D("-120"), D("24"))
    # after X-2: A = (12 * 10000 + 17 * 9999) / 29 = 289983 / 29 = 10000 - 17/29
    position = book.positions[BTC]
    assert position.avg_price == D(289983) / D(29)
    assert position.qty == D(20)
    assert second.realized_pnl == D("-289.983")  # -120 - 169.983
    # after X-3: closed 9 at 10001: 9 * (10001 - A) = 9 * (1 + 17/29) = 414/29
    assert third.realized_pnl == 9 * (D(10001) - D(289983) / D(29)) - D("379.992")
    # unrealized: 20 * (10002 - A) = 20 * (2 + 17/29) = 1500/29
    assert third.unrealized_pnl == 20 * (D(10002) - D(289983) / D(29))
    with localcontext() as exact:
        exact.prec = 60
        assert abs(third.realized_pnl - (D(414) / D(29) - D("379.992"))) < D("1e-20")
        assert abs(third.unrealized_pnl - D(1500) / D(29)) < D("1e-20")
    # fees per currency: 120 + 169.983 + 90.009 = 379.992
    assert third.fees == {"USDT": D("379.992")}
    assert third.marks == {BTC: D("10002")}
    assert third.ts_event == T0 + 2
    assert third.account == "ACC-1"


def test_without_a_quote_the_mark_is_the_last_fill_price() -> None:
    _, snapshots = run(vector(), FixedView())
    third = snapshots[-1]
    assert third.marks == {BTC: D("10001")}
    # 20 * (10001 - A) = 20 * (1 + 17/29) = 920/29
    assert third.unrealized_pnl == 20 * (D(10001) - D(289983) / D(29))


def test_flat_instruments_keep_realized_but_carry_no_mark() -> None:
    fills = [
        fill(exec_id="X-1", instrument=ETH, side="buy", qty="2", price="100", fee="0"),
        fill(exec_id="X-2", instrument=ETH, side="sell", qty="2", price="110", fee="0.5"),
        fill(exec_id="X-3", instrument=CHARLIE, side="sell", qty="1", price="50", fee="0.1",
             fee_currency="USD"),
    ]  # fmt: skip
    _, snapshots = run(fills, FixedView({CHARLIE: D("49")}))
    last = snapshots[-1]
    # ETH: 2 * (110 - 100) - 0.5 = 19.5; CHARLIE: -0.1 fee, short 1 x multiplier 10:
    # unrealized = -1 * 10 * (49 - 50) = 10
    assert last.realized_pnl == D("19.4")
    assert last.unrealized_pnl == D("10")
    assert last.marks == {CHARLIE: D("49")}
    assert last.fees == {"USD": D("0.1"), "USDT": D("0.5")}


def test_a_repeated_exec_id_is_one_fact_to_the_runtime() -> None:
    # The marker keeps no ids: the runtime folds a fill once per account and ExecID,
    # whatever event id each copy came with (tests/reliability/test_drop_copy.py).
    once = fill(exec_id="X-1")
    payload = decode_payload("fill", once.model_dump_json())
    assert fact_id("drop-copy-1", payload) == fact_id("fill:ACC-1:X-1", payload)
    assert fact_id("a", payload) != fact_id(
        "a", decode_payload("fill", fill(exec_id="X-2").model_dump_json())
    )


@st.composite
def fill_streams(draw: st.DrawFn) -> list[Any]:
    count = draw(st.integers(1, 30))
    return [
        fill(
            exec_id=f"X-{draw(st.integers(0, count))}",
            instrument=draw(st.sampled_from([BTC, ETH, CHARLIE])),
            side=draw(st.sampled_from(["buy", "sell"])),
            qty=str(draw(st.integers(1, 50))),
            price=str(D(draw(st.integers(9_000, 11_000))) / 100),
            fee=str(D(draw(st.integers(0, 99))) / 100),
            ts_event=T0 + index,
        )
        for index in range(count)
    ]


@settings(max_examples=60, deadline=None)
@given(fill_streams(), st.booleans())
def test_same_fills_give_identical_snapshots(fills: list[Any], quoted: bool) -> None:
    view = FixedView({BTC: D("100.5")} if quoted else {})
    first_book, first = run(fills, view)
    second_book, second = run(fills, view)
    assert [s.model_dump_json() for s in first] == [s.model_dump_json() for s in second]
    assert encode_state(first_book) == encode_state(second_book)
    assert len(first) == len(fills)  # a snapshot per fill given: repeats never reach it


@settings(max_examples=60, deadline=None)
@given(fill_streams(), st.booleans())
def test_snapshots_are_what_validation_would_build(fills: list[Any], quoted: bool) -> None:
    # The marker builds its snapshots without validating them again: each must equal the
    # snapshot pydantic validates from the same values, field for field and byte for byte.
    _, snapshots = run(fills, FixedView({BTC: D("100.5")} if quoted else {}))
    for snapshot in snapshots:
        validated = PnlSnapshot.model_validate(snapshot.model_dump(exclude={"kind"}))
        assert snapshot == validated
        assert snapshot.model_dump_json() == validated.model_dump_json()
        assert snapshot.model_fields_set == validated.model_fields_set
        assert repr(snapshot) == repr(validated)


def test_an_absurd_pnl_is_refused_as_validation_would_refuse_it() -> None:
    # 2e14 BTC bought at 1 and marked at 10: an unrealized PnL of 1.8e15, past the
    # bound every decimal in a record keeps; the runtime dead-letters the fill.
    huge = fill(exec_id="X-1", qty="200000000000000", price="1")
    with pytest.raises(ValueError, match="absurdly large"):
        run([huge], FixedView({BTC: D("10")}))
    with pytest.raises(ValueError, match="absurdly large"):
        PnlSnapshot.model_validate(
            {"account": "ACC-1", "realized_pnl": "0", "unrealized_pnl": "1.8e15", "fees": {},
             "marks": {}, "cause": "X-1", "ts_event": T0}
        )  # fmt: skip


def test_an_absurd_fee_total_is_refused() -> None:
    fees = [fill(exec_id=f"X-{n}", fee="600000000000000", ts_event=T0 + n) for n in range(2)]
    with pytest.raises(ValueError, match="absurdly large"):
        run(fees, FixedView({BTC: D("10000")}))

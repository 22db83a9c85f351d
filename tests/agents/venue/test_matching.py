"""Matching rules of the paper venue, one scenario each."""

from __future__ import annotations

import pytest

from agents.instruments import InstrumentRegistry
from agents.venue.reports import VenueStateError
from agents.view import TablesView
from schemas import Fill
from streams.state import encode_state
from tests.agents.venue.support import (
    D,
    Venue,
    accepted,
    canceled,
    cancels,
    expired,
    fills,
    market,
    replaced,
    summary,
)
from tests.factories import BTC, T0, quote, trade

SECOND = 1_000_000_000
DAY = 86_400 * SECOND


def quoted(**fields: str) -> Venue:
    venue = Venue()
    assert venue.send(quote(**fields)) == []
    return venue


# -- arrival ---------------------------------------------------------------------------


def test_marketable_buy_takes_the_ask_up_to_the_ask_size() -> None:
    venue = quoted(ask="10000.5", ask_size="1")
    out = venue.send(accepted(qty="3", limit_price="10001"))
    assert summary(out) == [("O-1-F1", "1", "10000.5", "taker")]
    fill = fills(out)[0]
    assert (fill.account, fill.cl_ord_id, fill.side, fill.instrument) == (
        "ACC-1",
        "C-1",
        "buy",
        BTC,
    )
    assert fill.ts_event == T0
    resting = venue.book().orders["O-1"]
    assert (resting.leaves_qty, resting.executed_qty, resting.fills) == (D(2), D(1), 1)


def test_marketable_sell_takes_the_bid() -> None:
    venue = quoted(bid="9999.5", bid_size="2")
    out = venue.send(accepted(side="sell", qty="0.5", limit_price="9999"))
    assert summary(out) == [("O-1-F1", "0.5", "9999.5", "taker")]
    assert venue.book().orders == {}
    assert venue.book().bid_left == D("1.5")


def test_a_limit_that_does_not_cross_rests_without_fills() -> None:
    venue = quoted(ask="10000.5")
    assert venue.send(accepted(limit_price="10000.4")) == []
    assert list(venue.book().orders) == ["O-1"]


def test_rest_of_a_market_order_is_canceled() -> None:
    venue = quoted(ask_size="1")
    out = venue.send(market(qty="3"))
    assert summary(out) == [
        ("O-1-F1", "1", "10000.5", "taker"),
        ("canceled", "O-1", "2", "no liquidity at the touch"),
    ]
    assert venue.book().orders == {}


def test_a_market_order_before_any_quote_is_canceled() -> None:
    out = Venue().send(market(qty="3"))
    assert summary(out) == [("canceled", "O-1", "3", "no quote yet")]
    assert cancels(out)[0].expired is False


def test_a_quoted_size_is_taken_only_once() -> None:
    venue = quoted(ask_size="1")
    assert summary(venue.send(market(qty="0.6"))) == [("O-1-F1", "0.6", "10000.5", "taker")]
    out = venue.send(market(order_id="O-2", cl_ord_id="C-2", qty="1"))
    assert summary(out) == [
        ("O-2-F1", "0.4", "10000.5", "taker"),
        ("canceled", "O-2", "0.6", "no liquidity at the touch"),
    ]
    out = venue.send(market(order_id="O-3", cl_ord_id="C-3", qty="1"))
    assert summary(out) == [("canceled", "O-3", "1", "no liquidity at the touch")]
    # A new quote refreshes the size.
    venue.send(quote(ts_event=T0 + 1))
    assert summary(venue.send(market(order_id="O-4", qty="1"))) == [
        ("O-4-F1", "1", "10000.5", "taker")
    ]


def test_ioc_remainder_is_canceled() -> None:
    venue = quoted(ask_size="1")
    out = venue.send(accepted(tif="IOC", qty="3", limit_price="10001"))
    assert summary(out) == [
        ("O-1-F1", "1", "10000.5", "taker"),
        ("canceled", "O-1", "2", "IOC remainder"),
    ]
    out = venue.send(accepted(order_id="O-2", tif="IOC", limit_price="9000"))
    assert summary(out) == [("canceled", "O-2", "1", "IOC remainder")]
    assert venue.book().orders == {}


def test_an_unknown_instrument_is_canceled_not_an_error() -> None:
    out = Venue().send(accepted(instrument="nowhere:XYZ"))
    assert summary(out) == [("canceled", "O-1", "1", "unknown instrument")]


def test_a_repeated_acceptance_does_nothing() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    assert venue.send(accepted(limit_price="9990")) == []
    assert len(venue.book().bids) == 1


# -- resting orders and ticks -----------------------------------------------------------


def test_limit_rests_then_fills_when_a_trade_goes_through_it() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    assert venue.send(trade(price="9990", size="5")) == []  # at the limit: not through
    assert venue.send(trade(price="9991", size="5")) == []
    out = venue.send(trade(price="9989.5", size="0.3", ts_event=T0 + 7))
    assert summary(out) == [("O-1-F1", "0.3", "9990", "maker")]
    assert fills(out)[0].ts_event == T0 + 7


def test_resting_sell_fills_on_a_trade_above_it() -> None:
    venue = quoted()
    venue.send(accepted(side="sell", limit_price="10010"))
    assert venue.send(trade(price="10010")) == []
    assert summary(venue.send(trade(price="10011", size="4"))) == [
        ("O-1-F1", "1", "10010", "maker")
    ]
    assert venue.book().orders == {}


def test_partial_fills_across_several_trades() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    got = []
    for number, size in enumerate(("0.3", "0.3", "0.6", "1")):
        got += summary(venue.send(trade(price="9980", size=size, trade_id=f"T{number}")))
    assert got == [
        ("O-1-F1", "0.3", "9990", "maker"),
        ("O-1-F2", "0.3", "9990", "maker"),
        ("O-1-F3", "0.4", "9990", "maker"),
    ]
    assert venue.book().orders == {}
    assert venue.book().bids == []


def test_price_then_time_priority() -> None:
    venue = quoted()
    venue.send(accepted(order_id="A", limit_price="9990"))
    venue.send(accepted(order_id="B", limit_price="9995"))
    venue.send(accepted(order_id="C", limit_price="9990"))
    assert summary(venue.send(trade(price="9980", size="1.5"))) == [
        ("B-F1", "1", "9995", "maker"),
        ("A-F1", "0.5", "9990", "maker"),
    ]
    assert summary(venue.send(trade(price="9980", size="1"))) == [
        ("A-F2", "0.5", "9990", "maker"),
        ("C-F1", "0.5", "9990", "maker"),
    ]


def test_sell_priority_is_lowest_price_first() -> None:
    venue = quoted()
    venue.send(accepted(order_id="A", side="sell", limit_price="10010"))
    venue.send(accepted(order_id="B", side="sell", limit_price="10005"))
    venue.send(accepted(order_id="C", side="sell", limit_price="10005"))
    assert summary(venue.send(trade(price="10020", size="2.5"))) == [
        ("B-F1", "1", "10005", "maker"),
        ("C-F1", "1", "10005", "maker"),
        ("A-F1", "0.5", "10010", "maker"),
    ]


def test_a_quote_through_resting_orders_fills_them_at_their_limit_once() -> None:
    venue = quoted()
    venue.send(accepted(order_id="A", limit_price="9990"))
    venue.send(accepted(order_id="B", limit_price="9990"))
    venue.send(accepted(order_id="S", side="sell", limit_price="10100"))
    # The ask comes down to our bids (inclusive) with 1.5 offered.
    out = venue.send(quote(bid="9980", ask="9990", ask_size="1.5", ts_event=T0 + 1))
    assert summary(out) == [("A-F1", "1", "9990", "maker"), ("B-F1", "0.5", "9990", "maker")]
    # That size is used: an arriving market buy finds nothing left at the touch.
    out = venue.send(market(order_id="M", qty="1"))
    assert summary(out) == [("canceled", "M", "1", "no liquidity at the touch")]
    assert venue.book().orders["B"].leaves_qty == D("0.5")


def test_a_stale_quote_is_ignored() -> None:
    venue = quoted()
    venue.send(quote(ts_event=T0 + 10))
    venue.send(accepted(limit_price="9990"))
    assert venue.send(quote(bid="9970", ask="9980", ts_event=T0 + 5)) == []
    assert venue.book().ask == D("10000.5")


def test_a_trade_shares_its_size_per_side_and_never_matches_our_own_orders() -> None:
    venue = quoted(bid_size="1", ask_size="1")
    venue.send(market(order_id="B", qty="1"))  # takes the whole ask
    venue.send(market(order_id="S", side="sell", qty="1"))  # and the whole bid
    # With no size left at the touch, these cross it but rest (and not against each other).
    assert venue.send(accepted(order_id="B2", limit_price="10003", qty="2")) == []
    assert venue.send(accepted(order_id="S2", side="sell", limit_price="9995", qty="2")) == []
    out = venue.send(trade(price="10000", size="0.7"))
    assert summary(out) == [("B2-F1", "0.7", "10003", "maker"), ("S2-F1", "0.7", "9995", "maker")]


# -- replace, cancel, expiry ------------------------------------------------------------


def test_replace_then_fill_uses_new_price_qty_and_cl_ord_id() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    assert venue.send(replaced(qty="2", limit_price="9995", leaves_qty="2")) == []
    out = venue.send(trade(price="9994", size="5"))
    assert summary(out) == [("O-1-F1", "2", "9995", "maker")]
    assert fills(out)[0].cl_ord_id == "C-2"


def test_replace_leaves_count_what_the_venue_already_filled() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    venue.send(trade(price="9980", size="0.3"))
    # The OMS had not seen that fill yet: it says leaves 0.5; the venue knows 0.2.
    venue.send(replaced(qty="0.5", limit_price="9990", leaves_qty="0.5"))
    assert venue.book().orders["O-1"].leaves_qty == D("0.2")
    assert summary(venue.send(trade(price="9980", size="5"))) == [
        ("O-1-F2", "0.2", "9990", "maker")
    ]
    # Replacing down to what is already filled ends the order here.
    venue.send(accepted(order_id="O-2", limit_price="9990"))
    venue.send(trade(price="9980", size="0.4"))
    assert venue.send(replaced(order_id="O-2", qty="0.4", leaves_qty="0")) == []
    assert "O-2" not in venue.book().orders


def test_replace_that_crosses_the_touch_takes_it() -> None:
    venue = quoted(ask="10000.5", ask_size="0.5")
    venue.send(accepted(limit_price="9990"))
    out = venue.send(replaced(qty="1", limit_price="10001", leaves_qty="1", ts_event=T0 + 3))
    assert summary(out) == [("O-1-F1", "0.5", "10000.5", "taker")]
    assert fills(out)[0].cl_ord_id == "C-2"
    assert venue.book().orders["O-1"].leaves_qty == D("0.5")


def test_replace_priority_kept_on_qty_down_lost_on_price_or_qty_up() -> None:
    venue = quoted()
    venue.send(accepted(order_id="A", limit_price="9990", qty="2"))
    venue.send(accepted(order_id="B", limit_price="9990"))
    venue.send(replaced(order_id="A", qty="1", limit_price="9990", leaves_qty="1"))
    assert summary(venue.send(trade(price="9980", size="0.1"))) == [
        ("A-F1", "0.1", "9990", "maker")
    ]
    venue.send(replaced(order_id="A", qty="3", limit_price="9990", leaves_qty="2.9"))
    assert summary(venue.send(trade(price="9980", size="0.1"))) == [
        ("B-F1", "0.1", "9990", "maker")
    ]


def test_replace_or_cancel_of_an_unknown_order_does_nothing() -> None:
    venue = quoted()
    assert venue.send(replaced(order_id="nope")) == []
    assert venue.send(canceled(order_id="nope")) == []


def test_cancel_removes() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990"))
    venue.send(accepted(order_id="O-2", side="sell", limit_price="10010", tif="GTC"))
    assert venue.send(canceled()) == []
    assert venue.send(expired(order_id="O-2")) == []
    assert venue.send(trade(price="9000", size="9")) == []
    assert venue.send(trade(price="11000", size="9")) == []
    book = venue.book()
    assert (book.orders, book.bids, book.asks, book.expiries) == ({}, [], [], [])


def test_day_order_expires_at_the_end_of_its_utc_day_before_matching() -> None:
    accepted_at = T0 + 3600 * SECOND  # T0 is a UTC midnight
    midnight = T0 + DAY
    venue = quoted()
    venue.send(accepted(limit_price="9990", ts_event=accepted_at))
    venue.send(accepted(order_id="G", limit_price="9990", tif="GTC", ts_event=accepted_at))
    assert venue.send(quote(ts_event=midnight - 1)) == []
    out = venue.send(trade(price="9980", size="5", ts_event=midnight))
    assert summary(out) == [
        ("canceled", "O-1", "1", "time in force ended (DAY)"),
        ("G-F1", "1", "9990", "maker"),
    ]
    assert cancels(out)[0].expired is True
    assert cancels(out)[0].ts_event == midnight


def test_expire_ts_wins_over_tif() -> None:
    venue = quoted()
    venue.send(accepted(order_id="G", tif="GTC", limit_price="9990", expire_ts=T0 + 50))
    venue.send(accepted(order_id="D", limit_price="9990", expire_ts=T0 + 2 * DAY))
    assert venue.send(quote(ts_event=T0 + 49)) == []
    out = venue.send(quote(ts_event=T0 + 50))
    assert [(c.order_id, c.expired) for c in cancels(out)] == [("G", True)]
    assert cancels(venue.send(quote(ts_event=T0 + DAY + 1))) == []
    assert [c.order_id for c in cancels(venue.send(quote(ts_event=T0 + 2 * DAY)))] == ["D"]


def test_an_order_expired_on_arrival_never_trades() -> None:
    venue = quoted()
    out = venue.send(accepted(limit_price="10001", expire_ts=T0 - 1))
    assert summary(out) == [("canceled", "O-1", "1", "expired on arrival")]
    assert cancels(out)[0].expired is True
    assert venue.book().ask_left == D(1)


def test_books_are_per_instrument() -> None:
    venue = quoted()
    charlie = "synthetic:CHARLIE"
    venue.send(accepted(instrument=charlie, limit_price="100"))
    assert venue.send(trade(price="99")) == []  # a BTC print
    out = venue.send(trade(instrument=charlie, price="99", size="1"))
    assert [(f.instrument, f.fee_currency) for f in fills(out)] == [(charlie, "USD")]
    assert isinstance(out[0], Fill)


def test_state_survives_its_stored_bytes() -> None:
    venue, twin = quoted(), quoted()
    for v in (venue, twin):
        v.send(accepted(order_id="A", limit_price="9990", expire_ts=T0 + DAY))
        v.send(accepted(order_id="B", side="sell", limit_price="10010"))
        v.send(trade(price="9985", size="0.25"))
    twin.reload()
    assert twin.book() == venue.book()
    tail = [trade(price="9980", size="2"), trade(price="10020", size="2")]
    assert [summary(twin.send(t)) for t in tail] == [summary(venue.send(t)) for t in tail]


def test_a_limit_order_without_a_price_is_canceled() -> None:
    out = quoted().send(accepted(limit_price=None))
    assert summary(out) == [("canceled", "O-1", "1", "limit order without a price")]


def test_reference_data_gone_while_orders_rest_raises_before_any_change() -> None:
    venue = quoted()
    venue.send(accepted(limit_price="9990", expire_ts=T0 + 5))
    venue.send(accepted(order_id="O-2", limit_price="9980"))
    before = encode_state(venue.book())
    venue.view = TablesView({}, InstrumentRegistry([]))
    with pytest.raises(VenueStateError, match="instrument definition"):
        venue.send(trade(price="9970", ts_event=T0 + 9))  # would expire O-1, fill O-2
    assert encode_state(venue.book()) == before

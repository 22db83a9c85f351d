from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agents.normalizer import Problem, Sequenced, parse_binance
from schemas import Quote, Trade
from tests.agents.normalizer.helpers import REGISTRY, dumps

RECV = 1_700_000_000_123_456_789
TRADE: dict[str, Any] = {
    "e": "trade",
    "E": 1672515782136,
    "s": "BTCUSDT",
    "t": 12345,
    "p": "16500.01000000",
    "q": "0.00100000",
    "b": 88,
    "a": 50,
    "T": 1672515782134,
    "m": True,
    "M": True,
}
BOOK: dict[str, Any] = {
    "u": 400900217,
    "s": "BTCUSDT",
    "b": "25.35190000",
    "B": "31.21000000",
    "a": "25.36520000",
    "A": "40.66000000",
}


def parse(message: Any, venue: str = "binance") -> Sequenced | Problem | None:
    return parse_binance(message, RECV, registry=REGISTRY, venue=venue)


def tick(message: Any, venue: str = "binance") -> Sequenced:
    parsed = parse(message, venue)
    assert isinstance(parsed, Sequenced), parsed
    return parsed


def problem(message: Any) -> Problem:
    parsed = parse(message)
    assert isinstance(parsed, Problem), parsed
    return parsed


def test_buyer_is_maker_means_the_aggressor_sold() -> None:
    parsed = tick(dumps(TRADE))
    assert parsed.channel == "trade"
    assert parsed.seq is None
    assert parsed.tick == Trade(
        instrument="binance:BTCUSDT",  # type: ignore[arg-type]
        trade_id="12345",
        price=Decimal("16500.01000000"),
        size=Decimal("0.00100000"),
        aggressor="sell",
        ts_event=1672515782134000000,
        ts_recv=RECV,
    )


def test_buyer_is_taker_means_the_aggressor_bought() -> None:
    trade = tick(dumps({**TRADE, "m": False})).tick
    assert isinstance(trade, Trade)
    assert trade.aggressor == "buy"


def test_event_time_stands_in_when_trade_time_is_absent() -> None:
    trade = tick({key: value for key, value in TRADE.items() if key != "T"}).tick
    assert trade.ts_event == 1672515782136000000


def test_combined_stream_wrapper_bytes_and_venue_parameter() -> None:
    wrapped = dumps({"stream": "btcusdt@trade", "data": TRADE}).encode()
    trade = tick(wrapped, venue="binance-futures").tick
    assert trade.instrument == "binance-futures:BTCUSDT"


def test_book_ticker_without_times_uses_receive_time_and_carries_u() -> None:
    parsed = tick(dumps(BOOK))
    assert (parsed.channel, parsed.seq) == ("bookTicker", 400900217)
    quote = parsed.tick
    assert isinstance(quote, Quote)
    assert (quote.bid, quote.ask) == (Decimal("25.35190000"), Decimal("25.36520000"))
    assert (quote.bid_size, quote.ask_size) == (Decimal("31.21000000"), Decimal("40.66000000"))
    assert quote.ts_event == quote.ts_recv == RECV


def test_futures_book_ticker_uses_its_transaction_time() -> None:
    message = {"e": "bookTicker", **BOOK, "E": 1568014460893, "T": 1568014460891}
    assert tick(message).tick.ts_event == 1568014460891000000
    no_t = {"e": "bookTicker", **BOOK, "E": 1568014460893}
    assert tick(no_t).tick.ts_event == 1568014460893000000


def test_agg_trade_ids_are_kept_apart_from_trade_ids() -> None:
    message = {"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": 5, "p": "1", "q": "2"}
    message |= {"f": 100, "l": 105, "T": 1672515782134, "m": False}
    parsed = tick(message)
    assert parsed.channel == "aggTrade"
    assert isinstance(parsed.tick, Trade)
    assert (parsed.tick.trade_id, parsed.tick.aggressor) == ("agg-5", "buy")


def test_subscription_reply_is_control_traffic() -> None:
    assert parse('{"result": null, "id": 1}') is None


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ('{"e": "trade", "s": ', "malformed JSON"),
        ("[1, 2]", "must be a JSON object"),
        (b'{"e": "trade", "s": "BTC\xffUSDT"}', "not valid UTF-8"),
        (dumps({**TRADE, "p": "NaN"}), "price 'p' is not a positive decimal"),
        ('{"e":"trade","s":"BTCUSDT","t":1,"p":NaN,"q":"1","T":1,"m":true}', "malformed JSON"),
        ('{"e":"trade","s":"BTCUSDT","t":1,"p":1.5,"q":"1","T":1,"m":true}', "decimal string"),
        (dumps({**TRADE, "q": "-0.001"}), "quantity 'q' is not a positive decimal"),
        (dumps({**TRADE, "q": "0.000"}), "quantity 'q' must be positive"),
        (dumps({**TRADE, "s": "DOGEUSDT"}), "unknown instrument 'binance:DOGEUSDT'"),
        (dumps({**TRADE, "m": "true"}), "'m' must be true or false"),
        (dumps({**TRADE, "T": -1}), "outside"),
        (dumps({**TRADE, "T": 1.5}), "must be an integer"),
        (dumps({key: v for key, v in TRADE.items() if key != "t"}), "missing field 't'"),
        (dumps({key: v for key, v in TRADE.items() if key != "m"}), "missing field 'm'"),
        (dumps({key: v for key, v in TRADE.items() if key not in "ET"}), "missing field 'E'"),
        (dumps({**BOOK, "b": "25.4", "a": "25.3"}), "crossed quote: bid 25.4 > ask 25.3"),
        (dumps({**BOOK, "u": -3}), "update id 'u' must be a non-negative integer"),
        (dumps({key: v for key, v in BOOK.items() if key != "A"}), "missing field 'A'"),
        (dumps({"e": "depthUpdate", "s": "BTCUSDT"}), "unsupported Binance event type"),
        ('{"hello": "world"}', "not a Binance event"),
        ('{"stream": "x", "data": [1]}', "'data' must be a JSON object"),
    ],
)
def test_bad_messages_are_problems(message: str | bytes, reason: str) -> None:
    found = problem(message)
    assert reason in found.reason
    assert found.line_number is None
    assert found.source == "binance"
    assert found.raw

"""Binance websocket JSON (``trade``, ``aggTrade``, ``bookTicker``) to canonical ticks.

``m`` true means the buyer was the maker, so the aggressor sold. ``bookTicker`` carries
the book's update id ``u``, which feeds gap detection; spot bookTicker has no event time,
so the receive time stands in for it. The combined-stream wrapper
``{"stream": ..., "data": {...}}`` is unwrapped. A subscription reply
(``{"result": ..., "id": ...}``) is control traffic and yields nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agents.instruments import InstrumentRegistry
from agents.normalizer.fields import (
    NS_PER_MS,
    json_object,
    known_instrument,
    positive_decimal,
    required,
    sequence_number,
    text_id,
    ts_from_json_int,
)
from agents.normalizer.parsed import BadInput, Problem, Sequenced, clip, raw_text
from schemas import InstrumentId, Quote, Trade
from schemas.types import Aggressor

BinanceMessage = str | bytes | bytearray | Mapping[str, Any]

TRADE_CHANNEL = "trade"
AGG_TRADE_CHANNEL = "aggTrade"
BOOK_TICKER_CHANNEL = "bookTicker"


def parse_binance(
    message: BinanceMessage,
    ts_recv: int,
    *,
    registry: InstrumentRegistry,
    venue: str = "binance",
) -> Sequenced | Problem | None:
    """One websocket message: a tick, a Problem, or None for control traffic."""
    try:
        data = json_object(message)
        if "data" in data and "stream" in data:
            data = data["data"]
            if not isinstance(data, Mapping):
                raise BadInput("combined stream 'data' must be a JSON object")
        if "result" in data and "id" in data and "s" not in data:
            return None
        return _event(data, ts_recv, registry, venue)
    except (BadInput, ValidationError) as error:
        return Problem(None, str(error), raw_text(message), venue)


def _event(
    data: Mapping[str, Any], ts_recv: int, registry: InstrumentRegistry, venue: str
) -> Sequenced:
    event_type = data.get("e")
    if event_type == "trade":
        return _trade(data, ts_recv, registry, venue)
    if event_type == "aggTrade":
        return _agg_trade(data, ts_recv, registry, venue)
    if event_type == "bookTicker" or (event_type is None and "u" in data and "b" in data):
        return _book_ticker(data, ts_recv, registry, venue)
    if event_type is None:
        raise BadInput("not a Binance event: no 'e' field and not a bookTicker")
    raise BadInput(f"unsupported Binance event type {clip(repr(event_type))[:40]}")


def _instrument(data: Mapping[str, Any], registry: InstrumentRegistry, venue: str) -> InstrumentId:
    symbol = required(data, "s", "Binance event")
    if not isinstance(symbol, str) or not symbol:
        raise BadInput("symbol 's' must be a non-empty string")
    return known_instrument(registry, venue, symbol)


def _aggressor_from_maker_flag(data: Mapping[str, Any]) -> Aggressor:
    buyer_is_maker = required(data, "m", "Binance trade")
    if not isinstance(buyer_is_maker, bool):
        raise BadInput(f"'m' must be true or false, got {clip(repr(buyer_is_maker))[:40]}")
    return "sell" if buyer_is_maker else "buy"


def _trade_time(data: Mapping[str, Any]) -> int:
    if "T" in data:
        return ts_from_json_int(data["T"], NS_PER_MS, "trade time 'T'")
    return ts_from_json_int(required(data, "E", "Binance trade"), NS_PER_MS, "event time 'E'")


def _trade(
    data: Mapping[str, Any], ts_recv: int, registry: InstrumentRegistry, venue: str
) -> Sequenced:
    trade = Trade(
        instrument=_instrument(data, registry, venue),
        trade_id=text_id(required(data, "t", "Binance trade"), "trade id 't'"),
        price=positive_decimal(required(data, "p", "Binance trade"), "price 'p'"),
        size=positive_decimal(required(data, "q", "Binance trade"), "quantity 'q'"),
        aggressor=_aggressor_from_maker_flag(data),
        ts_event=_trade_time(data),
        ts_recv=ts_recv,
    )
    return Sequenced(tick=trade, channel=TRADE_CHANNEL)


def _agg_trade(
    data: Mapping[str, Any], ts_recv: int, registry: InstrumentRegistry, venue: str
) -> Sequenced:
    """An aggregate trade; its id gets an ``agg-`` prefix so it never meets a raw trade id."""
    agg_id = text_id(required(data, "a", "Binance aggTrade"), "aggregate trade id 'a'")
    trade = Trade(
        instrument=_instrument(data, registry, venue),
        trade_id=f"agg-{agg_id}",
        price=positive_decimal(required(data, "p", "Binance aggTrade"), "price 'p'"),
        size=positive_decimal(required(data, "q", "Binance aggTrade"), "quantity 'q'"),
        aggressor=_aggressor_from_maker_flag(data),
        ts_event=_trade_time(data),
        ts_recv=ts_recv,
    )
    return Sequenced(tick=trade, channel=AGG_TRADE_CHANNEL)


def _book_ticker(
    data: Mapping[str, Any], ts_recv: int, registry: InstrumentRegistry, venue: str
) -> Sequenced:
    what = "Binance bookTicker"
    instrument = _instrument(data, registry, venue)
    update_id = sequence_number(required(data, "u", what), "update id 'u'")
    bid = positive_decimal(required(data, "b", what), "bid price 'b'")
    ask = positive_decimal(required(data, "a", what), "ask price 'a'")
    if bid > ask:
        raise BadInput(f"crossed quote: bid {bid} > ask {ask}")
    if "T" in data:
        ts_event = ts_from_json_int(data["T"], NS_PER_MS, "transaction time 'T'")
    elif "E" in data:
        ts_event = ts_from_json_int(data["E"], NS_PER_MS, "event time 'E'")
    else:
        ts_event = ts_recv  # spot bookTicker has no time of its own
    quote = Quote(
        instrument=instrument,
        bid=bid,
        bid_size=positive_decimal(required(data, "B", what), "bid quantity 'B'"),
        ask=ask,
        ask_size=positive_decimal(required(data, "A", what), "ask quantity 'A'"),
        ts_event=ts_event,
        ts_recv=ts_recv,
    )
    return Sequenced(tick=quote, channel=BOOK_TICKER_CHANNEL, seq=update_id)

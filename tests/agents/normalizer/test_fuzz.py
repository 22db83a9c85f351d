"""Any input at all yields ticks or Problems; a parser never raises."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.normalizer import Normalizer, Problem, Sequenced, parse_tardis_stream
from schemas import MarketDataGap, Quote, Trade
from tests.agents.normalizer.helpers import QUOTES_HEADER, REGISTRY, TRADES_HEADER

RECV = 1_700_000_000_000_000_000

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=12,
)
binance_like = st.fixed_dictionaries(
    {},
    optional={
        "e": st.sampled_from(["trade", "aggTrade", "bookTicker", "x"]) | json_values,
        "s": st.sampled_from(["BTCUSDT", "ETHUSDT"]) | json_values,
        "t": json_values,
        "a": st.sampled_from(["1", "0", "-1", "NaN"]) | json_values,
        "u": json_values,
        "p": st.sampled_from(["1", "0", "-1", "NaN", "1e400"]) | json_values,
        "q": st.sampled_from(["1", "0.5"]) | json_values,
        "b": st.sampled_from(["1", "2"]) | json_values,
        "B": st.sampled_from(["1", "2"]) | json_values,
        "A": st.sampled_from(["1", "2"]) | json_values,
        "T": json_values,
        "E": json_values,
        "m": json_values,
    },
)
coinbase_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["match", "last_match", "error", "heartbeat"]) | json_values},
    optional={
        "trade_id": json_values,
        "sequence": json_values,
        "time": st.sampled_from(["2020-02-22T00:00:02.5Z", "2020-13-01T00:00:00Z"]) | json_values,
        "product_id": st.sampled_from(["BTC-USD", "ETH-USD"]) | json_values,
        "size": st.sampled_from(["1", "-1"]) | json_values,
        "price": st.sampled_from(["1", "NaN"]) | json_values,
        "side": st.sampled_from(["buy", "sell"]) | json_values,
    },
)
messages = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    json_values.map(json.dumps),
    binance_like.map(json.dumps),
    binance_like,
    coinbase_like.map(json.dumps),
    coinbase_like,
)


def _valid(item: object) -> bool:
    return isinstance(item, Trade | Quote | MarketDataGap | Problem | Sequenced) or item is None


@settings(max_examples=300, deadline=None)
@given(message=messages)
def test_binance_and_coinbase_never_raise(message: Any) -> None:
    normalizer = Normalizer()
    for out in (normalizer.feed_binance(message, RECV), normalizer.feed_coinbase(message, RECV)):
        assert all(_valid(item) for item in out)


row_field = st.sampled_from(["", "1", "0", "-1", "NaN", "9682", "BTCUSDT", "buy", "x"]) | st.text(
    max_size=6
)
row_field = row_field | st.sampled_from(["1582329602111000", "0.84", "9681.92", "unknown"])
rows = st.tuples(
    st.sampled_from(["binance-futures,BTCUSDT", "bitmex,XBTUSD", "nowhere,X"]),
    st.lists(row_field, max_size=8),
).map(lambda parts: ",".join([parts[0], *parts[1]]))


@settings(max_examples=300, deadline=None)
@given(
    header=st.sampled_from([TRADES_HEADER, QUOTES_HEADER, "junk"]),
    body=st.lists(rows | st.text(max_size=40), max_size=8).map("\n".join),
    noise=st.binary(max_size=60),
    ending=st.sampled_from(["", "\n", "\r\n"]),
)
def test_tardis_never_raises(header: str, body: str, noise: bytes, ending: str) -> None:
    data = f"{header}\n{body}{ending}".encode() + noise
    items = list(parse_tardis_stream(io.BytesIO(data), registry=REGISTRY))
    assert all(_valid(item) for item in items)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_tardis_takes_any_bytes(data: bytes) -> None:
    items = list(parse_tardis_stream(io.BytesIO(data), registry=REGISTRY))
    assert all(_valid(item) for item in items)

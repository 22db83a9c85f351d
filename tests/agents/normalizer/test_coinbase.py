from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agents.normalizer import Problem, Sequenced, parse_coinbase
from schemas import Trade
from tests.agents.normalizer.helpers import REGISTRY, dumps

RECV = 1_600_000_000_000_000_000
MATCH: dict[str, Any] = {
    "type": "match",
    "trade_id": 10,
    "sequence": 50,
    "maker_order_id": "ac928c66-ca53-498f-9c13-a110027a60e8",
    "taker_order_id": "132fb6ae-456b-4654-b4e0-d681ac05cea1",
    "time": "2020-02-22T00:00:02.123456789Z",
    "product_id": "BTC-USD",
    "size": "5.23512",
    "price": "400.23",
    "side": "sell",
}


def parse(message: Any) -> Sequenced | Problem | None:
    return parse_coinbase(message, RECV, registry=REGISTRY)


def test_a_maker_sell_is_an_aggressive_buy() -> None:
    parsed = parse(dumps(MATCH))
    assert isinstance(parsed, Sequenced)
    assert (parsed.channel, parsed.seq) == ("match", 50)
    assert parsed.tick == Trade(
        instrument="coinbase:BTC-USD",  # type: ignore[arg-type]
        trade_id="10",
        price=Decimal("400.23"),
        size=Decimal("5.23512"),
        aggressor="buy",
        ts_event=1582329602123456789,
        ts_recv=RECV,
    )


def test_a_maker_buy_is_an_aggressive_sell_and_last_match_counts() -> None:
    parsed = parse({**MATCH, "type": "last_match", "side": "buy"})
    assert isinstance(parsed, Sequenced)
    assert isinstance(parsed.tick, Trade)
    assert parsed.tick.aggressor == "sell"


@pytest.mark.parametrize(
    "message",
    ['{"type": "subscriptions", "channels": []}', '{"type": "heartbeat", "sequence": 90}'],
)
def test_other_message_types_are_ignored(message: str) -> None:
    assert parse(message) is None


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ('{"type": "match", ', "malformed JSON"),
        (b'{"type": "match", "product_id": "\xc3\x28"}', "not valid UTF-8"),
        ('"match"', "must be a JSON object"),
        (dumps({"type": "error", "message": "Failed to subscribe"}), "Failed to subscribe"),
        (dumps({"sequence": 1}), "missing field 'type'"),
        (dumps({"type": ["match"]}), "'type' must be a string"),
        (dumps({**MATCH, "side": "both"}), "'side' must be buy or sell"),
        (dumps({**MATCH, "price": "NaN"}), "'price' is not a positive decimal"),
        (dumps({**MATCH, "size": "-1"}), "'size' is not a positive decimal"),
        (dumps({**MATCH, "product_id": "DOGE-USD"}), "unknown instrument 'coinbase:DOGE-USD'"),
        (dumps({**MATCH, "time": "yesterday"}), "'time' is not an ISO-8601 UTC time"),
        (dumps({**MATCH, "time": "2020-02-30T00:00:00Z"}), "day is out of range"),
        (dumps({**MATCH, "sequence": "50"}), "'sequence' must be a non-negative integer"),
        (dumps({key: v for key, v in MATCH.items() if key != "trade_id"}), "'trade_id'"),
        (dumps({key: v for key, v in MATCH.items() if key != "sequence"}), "'sequence'"),
    ],
)
def test_bad_messages_are_problems(message: str | bytes, reason: str) -> None:
    found = parse(message)
    assert isinstance(found, Problem), found
    assert reason in found.reason
    assert found.source == "coinbase"

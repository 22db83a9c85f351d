"""Coinbase Exchange websocket ``match`` / ``last_match`` messages to canonical trades.

``side`` is the MAKER's side, so the aggressor is the opposite one. ``time`` is ISO-8601
with up to nanosecond digits, parsed without float. ``sequence`` (per product) feeds gap
detection. Other message types (``subscriptions``, ``heartbeat``, ``ticker``...) are
control traffic or not handled here and yield nothing; an ``error`` message is a Problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agents.instruments import InstrumentRegistry
from agents.normalizer.fields import (
    json_object,
    known_instrument,
    positive_decimal,
    required,
    sequence_number,
    text_id,
    ts_from_iso8601,
)
from agents.normalizer.parsed import BadInput, Problem, Sequenced, clip, raw_text
from schemas import Trade
from schemas.types import Aggressor

CoinbaseMessage = str | bytes | bytearray | Mapping[str, Any]

MATCH_CHANNEL = "match"
_TAKER_OF_MAKER: dict[object, Aggressor] = {"buy": "sell", "sell": "buy"}


def parse_coinbase(
    message: CoinbaseMessage,
    ts_recv: int,
    *,
    registry: InstrumentRegistry,
    venue: str = "coinbase",
) -> Sequenced | Problem | None:
    """One websocket message: a trade, a Problem, or None for other message types."""
    try:
        data = json_object(message)
        message_type = required(data, "type", "Coinbase message")
        if message_type in ("match", "last_match"):
            return _match(data, ts_recv, registry, venue)
        if message_type == "error":
            detail = f"{data.get('message', '')} {data.get('reason', '')}".strip()
            raise BadInput(f"Coinbase error message: {clip(detail)[:200]}")
        if not isinstance(message_type, str):
            raise BadInput(f"'type' must be a string, got {type(message_type).__name__}")
        return None
    except (BadInput, ValidationError) as error:
        return Problem(None, str(error), raw_text(message), venue)


def _match(
    data: Mapping[str, Any], ts_recv: int, registry: InstrumentRegistry, venue: str
) -> Sequenced:
    what = "Coinbase match"
    product = required(data, "product_id", what)
    if not isinstance(product, str) or not product:
        raise BadInput("'product_id' must be a non-empty string")
    instrument = known_instrument(registry, venue, product)
    maker_side = required(data, "side", what)
    aggressor = _TAKER_OF_MAKER.get(maker_side) if isinstance(maker_side, str) else None
    if aggressor is None:
        raise BadInput(f"'side' must be buy or sell, got {clip(repr(maker_side))[:40]}")
    trade = Trade(
        instrument=instrument,
        trade_id=text_id(required(data, "trade_id", what), "'trade_id'"),
        price=positive_decimal(required(data, "price", what), "'price'"),
        size=positive_decimal(required(data, "size", what), "'size'"),
        aggressor=aggressor,
        ts_event=ts_from_iso8601(required(data, "time", what), "'time'"),
        ts_recv=ts_recv,
    )
    sequence = sequence_number(required(data, "sequence", what), "'sequence'")
    return Sequenced(tick=trade, channel=MATCH_CHANNEL, seq=sequence)

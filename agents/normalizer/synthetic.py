"""A deterministic synthetic feed: the same seed gives the same ticks, byte for byte.

Prices walk in integer ticks and become ``Decimal`` only at the end (ticks x tick_size),
so every price sits on the tick grid and no float is involved; sizes are whole lots.
Each instrument's first event is a quote, so every trade prints against a known book:
a buyer lifts the ask, a seller hits the bid, and a "none" aggressor prints inside.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from decimal import Decimal

from agents.instruments import BUILT_IN
from schemas import InstrumentDefinition, Quote, Trade
from schemas.types import Aggressor

SYNTHETIC_IDS = ("synthetic:ALPHA", "synthetic:BRAVO", "synthetic:CHARLIE")
SYNTHETIC_INSTRUMENTS: tuple[InstrumentDefinition, ...] = tuple(
    definition for definition in BUILT_IN if definition.instrument in SYNTHETIC_IDS
)

_MAX_STEP_NS = 50_000_000
"""Up to 50 ms between events, so 20,000 ticks span minutes and markouts resolve;
a step of 0 (two events at one ns) is allowed on purpose."""
_TRADE_SHARE = 0.4
_START_PRICE_TICKS = (5_000, 20_000)
_MAX_SPREAD_TICKS = 4
_MAX_LOTS = 50


class _Book:
    __slots__ = ("bid_ticks", "definition", "quoted", "spread_ticks")

    def __init__(self, definition: InstrumentDefinition, bid_ticks: int) -> None:
        self.definition = definition
        self.bid_ticks = bid_ticks
        self.spread_ticks = 1
        self.quoted = False


def synthetic_feed(
    seed: int,
    instruments: Sequence[InstrumentDefinition] = SYNTHETIC_INSTRUMENTS,
    start_ts: int = 1_700_000_000_000_000_000,
    count: int = 1_000,
) -> Iterator[Quote | Trade]:
    """``count`` quotes and trades across ``instruments``, ``ts_event`` non-decreasing."""
    if not instruments:
        raise ValueError("the synthetic feed needs at least one instrument")
    rng = random.Random(seed)  # noqa: S311 -- seeded on purpose: reproducible, not secret
    books = [_Book(d, rng.randint(*_START_PRICE_TICKS)) for d in instruments]
    ts = start_ts
    for number in range(count):
        ts += rng.randint(0, _MAX_STEP_NS)
        book = books[rng.randrange(len(books))]
        if book.quoted and rng.random() < _TRADE_SHARE:
            yield _trade(rng, book, ts, f"syn-{seed}-{number}")
        else:
            yield _quote(rng, book, ts)


def _lots(rng: random.Random, definition: InstrumentDefinition) -> Decimal:
    return rng.randint(1, _MAX_LOTS) * definition.lot_size


def _quote(rng: random.Random, book: _Book, ts: int) -> Quote:
    book.bid_ticks = max(1, book.bid_ticks + rng.choice((-2, -1, -1, 0, 0, 1, 1, 2)))
    book.spread_ticks = rng.randint(1, _MAX_SPREAD_TICKS)
    book.quoted = True
    tick = book.definition.tick_size
    return Quote(
        instrument=book.definition.instrument,
        bid=book.bid_ticks * tick,
        bid_size=_lots(rng, book.definition),
        ask=(book.bid_ticks + book.spread_ticks) * tick,
        ask_size=_lots(rng, book.definition),
        ts_event=ts,
        ts_recv=ts,
    )


def _trade(rng: random.Random, book: _Book, ts: int, trade_id: str) -> Trade:
    roll = rng.random()
    aggressor: Aggressor
    if roll < 0.45:
        aggressor, price_ticks = "buy", book.bid_ticks + book.spread_ticks
    elif roll < 0.9:
        aggressor, price_ticks = "sell", book.bid_ticks
    else:
        aggressor = "none"
        price_ticks = rng.randint(book.bid_ticks, book.bid_ticks + book.spread_ticks)
    return Trade(
        instrument=book.definition.instrument,
        trade_id=trade_id,
        price=price_ticks * book.definition.tick_size,
        size=_lots(rng, book.definition),
        aggressor=aggressor,
        ts_event=ts,
        ts_recv=ts,
    )

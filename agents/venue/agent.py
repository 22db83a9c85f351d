"""venue: the paper-trading venue, matching our orders against the market's ticks.

A ``process`` agent keyed by instrument: it reads ``md.ticks`` (quotes, trades) and
``orders.events`` (accepted, replaced, canceled, expired) in log order and writes
``Fill`` and ``ExecCanceled`` into ``exec.reports``. Its book is working memory, not a
table: replay rebuilds the tables that fold its recorded fills.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents.venue.fees import VenueFees
from agents.venue.fold import HANDLERS, process
from agents.venue.state import Book
from schemas import Record
from schemas.view import View
from streams.agent import Agent
from streams.topics import EXEC_REPORTS, MD_TICKS, ORDERS_EVENTS

NAME = "venue"


def instrument_key(record: Any) -> str:
    """Ticks and order events alike name their instrument; the book is per instrument."""
    return str(record.instrument)


def present(key: str, book: Book, tables: Mapping[str, Any]) -> dict[str, Any]:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "instrument": book.instrument,
        "bid": text(book.bid),
        "bid_left": str(book.bid_left),
        "ask": text(book.ask),
        "ask_left": str(book.ask_left),
        "quote_ts": book.quote_ts,
        "resting_buys": len(book.bids),
        "resting_sells": len(book.asks),
    }


def build(fees: VenueFees | None = None) -> Agent[Book]:
    """The venue agent; ``fees`` defaults to maker 1 bps, taker 5 bps."""
    schedule = fees if fees is not None else VenueFees()

    def run(book: Book, event: Any, view: View) -> tuple[Book, Sequence[Record]]:
        return process(book, event, view, schedule)

    return Agent(
        name=NAME,
        inputs=(MD_TICKS, ORDERS_EVENTS),
        kinds=frozenset(HANDLERS),
        state_type=Book,
        initial=lambda key: Book(instrument=key),
        state_key=instrument_key,
        process=run,
        output_topic=EXEC_REPORTS,
        present=present,
    )

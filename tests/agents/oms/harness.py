"""A test double of the runtime loop for the OMS: decide, record, evolve the decoded bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.oms.agent import build
from agents.oms.fold import evolve
from agents.oms.state import AccountBook
from agents.risk.limits import RiskLimits
from agents.tickers.state import Ticker
from schemas import KINDS, Fill, InstrumentDefinition, OrderAccepted, Record
from schemas.view import TopOfBook
from streams.codec import decode_payload
from streams.records import NewRecord, new_record
from streams.state import encode_state
from streams.topics import ORDERS_EVENTS
from tests.factories import fill, submit

ALPHA = "synthetic:ALPHA"  # tick 0.01, lot 1
BRAVO = "synthetic:BRAVO"  # tick 0.01, lot 1; the test view has no quote for it
CHARLIE = "synthetic:CHARLIE"  # tick 0.05, lot 10, multiplier 10
BTC = "binance-futures:BTCUSDT"  # tick 0.01, lot 0.001


class StaticView:
    """Reference data from a dict of quotes (bid, ask) and the built-in registry."""

    def __init__(
        self,
        quotes: dict[str, tuple[str, str]] | None = None,
        registry: InstrumentRegistry | None = None,
    ) -> None:
        self.registry = registry or InstrumentRegistry()
        self.tickers: dict[str, Ticker] = {}
        for instrument, (bid, ask) in (quotes or {}).items():
            self.set_quote(instrument, bid, ask)

    def set_quote(self, instrument: str, bid: str, ask: str) -> None:
        self.tickers[instrument] = Ticker(
            instrument=instrument,
            bid=Decimal(bid),
            ask=Decimal(ask),
            bid_size=Decimal(1),
            ask_size=Decimal(1),
            quote_ts=1,
        )

    def mid(self, instrument: str) -> Decimal | None:
        ticker = self.tickers.get(instrument)
        return None if ticker is None else ticker.mid

    def top(self, instrument: str) -> TopOfBook | None:
        return self.tickers.get(instrument)

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        return self.registry.get(instrument)


def default_view() -> StaticView:
    return StaticView(
        {ALPHA: ("99.99", "100.01"), CHARLIE: ("49.95", "50.05"), BTC: ("9999.5", "10000.5")}
    )


@dataclass
class Desk:
    """Feeds wire records to the OMS the way the runtime does and keeps what it wrote."""

    limits: RiskLimits = field(default_factory=RiskLimits)
    view: StaticView = field(default_factory=default_view)
    books: dict[str, AccountBook] = field(default_factory=dict)
    recorded: list[NewRecord] = field(default_factory=list)
    routed: list[NewRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.agent = build(InstrumentRegistry(), self.limits)

    def book(self, account: str = "ACC-1") -> AccountBook:
        return self.books.get(account) or self.agent.initial(account)

    def send(self, record: Record) -> list[Record]:
        """Decide on ``record`` (decoded like the runtime does), then evolve each recorded
        event from its JSON bytes. Checks that decide left the book untouched."""
        assert self.agent.decide is not None
        payload = decode_payload(record.KIND, record.model_dump_json().encode())
        key = self.agent.state_key(payload)
        book = self.book(key)
        before = encode_state(book)
        events = list(self.agent.decide(book, payload, self.view))
        assert encode_state(book) == before, "decide changed the book"
        for event in events:
            out = new_record(self.agent.topic_for(event.KIND), event)
            if out.topic == ORDERS_EVENTS:
                book = evolve(book, decode_payload(out.kind, out.payload))
                self.recorded.append(out)
            else:
                self.routed.append(out)
        self.books[key] = book
        return events

    def replayed(self) -> dict[str, AccountBook]:
        """Every book rebuilt from the recorded events alone, as replay does."""
        books: dict[str, AccountBook] = {}
        for out in self.recorded:
            event: Any = decode_payload(out.kind, out.payload)
            key = self.agent.state_key(event)
            books[key] = evolve(books.get(key) or self.agent.initial(key), event)
        return books

    def order_events(self) -> list[Record]:
        return [_model(out) for out in self.recorded]

    def routed_records(self) -> list[Record]:
        return [_model(out) for out in self.routed]


def _model(out: NewRecord) -> Record:
    return KINDS[out.kind].model_validate_json(out.payload)


def alpha_order(desk: Desk, cl_ord_id: str = "C-1", **fields: object) -> OrderAccepted:
    data: dict[str, object] = {"instrument": ALPHA, "limit_price": "100", "qty": "10"}
    data.update(fields)
    events = desk.send(submit(cl_ord_id=cl_ord_id, **data))
    assert isinstance(events[0], OrderAccepted), events[0]
    return events[0]


def alpha_fill(exec_id: str, qty: str, price: str = "100", **fields: object) -> Fill:
    data: dict[str, object] = {"instrument": ALPHA, "fee_currency": "USD", "cl_ord_id": "C-1"}
    data.update(fields)
    return fill(exec_id=exec_id, qty=qty, price=price, **data)

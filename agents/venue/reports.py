"""The records the venue writes, and the ids and times they carry.

Builders only: they read, never change the book, so a handler can build every record of
an event (where validation could raise) before it applies anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from agents.venue.fees import VenueFees
from agents.venue.state import Book, RestingOrder
from schemas import ExecCanceled, Fill, InstrumentDefinition, OrderAccepted, Record, TapelineError
from schemas.types import Account, ClOrdId, InstrumentId, Side
from schemas.view import View

DAY_NS = 86_400 * 1_000_000_000
MAX_ID = 128


class VenueStateError(TapelineError):
    """The venue's book disagrees with its inputs: a bug, or reference data removed
    while orders rest. Check the instrument registry the runtime was started with."""


def exec_id(order_id: str, number: int) -> str:
    """``{order_id}-F{n}``; a hash stands in for an order id too long for an Id field."""
    candidate = f"{order_id}-F{number}"
    if len(candidate) <= MAX_ID:
        return candidate
    digest = hashlib.blake2b(order_id.encode(), digest_size=16).hexdigest()
    return f"{digest}-F{number}"


def expiry_of(accepted: OrderAccepted) -> int | None:
    """The first instant (UTC ns) the order no longer works; None for good till canceled."""
    if accepted.expire_ts is not None:
        return accepted.expire_ts
    if accepted.tif == "DAY":
        return (accepted.ts_event // DAY_NS + 1) * DAY_NS
    return None


@dataclass(frozen=True, slots=True)
class OrderRef:
    """Whose order a report is about (an accepted event or a resting order)."""

    account: str
    cl_ord_id: str
    order_id: str
    side: Side

    @classmethod
    def of(cls, order: OrderAccepted | RestingOrder) -> OrderRef:
        return cls(order.account, order.cl_ord_id, order.order_id, order.side)


@dataclass(frozen=True, slots=True)
class Reports:
    """Builds the records of one input event (same instrument, fees and time)."""

    instrument: InstrumentId
    definition: InstrumentDefinition | None
    fees: VenueFees
    ts: int

    def fill(
        self, ref: OrderRef, *, number: int, qty: Decimal, price: Decimal, liquidity: str
    ) -> Record:
        if self.definition is None:
            raise VenueStateError(
                f"a fill in {self.instrument} needs its instrument definition, "
                "which the view no longer has"
            )
        return Fill(
            exec_id=exec_id(ref.order_id, number),
            account=Account(ref.account),
            instrument=self.instrument,
            side=ref.side,
            qty=qty,
            price=price,
            fee=self.fees.fee(qty, price, self.definition.multiplier, liquidity),
            fee_currency=self.definition.settlement_currency,
            cl_ord_id=ClOrdId(ref.cl_ord_id),
            liquidity="maker" if liquidity == "maker" else "taker",
            ts_event=self.ts,
        )

    def resting_fill(self, order: RestingOrder, qty: Decimal, liquidity: str) -> Record:
        return self.fill(
            OrderRef.of(order),
            number=order.fills + 1,
            qty=qty,
            price=order.limit_price,
            liquidity=liquidity,
        )

    def canceled(
        self, ref: OrderRef, *, qty: Decimal, reason: str, expired: bool = False
    ) -> Record:
        return ExecCanceled(
            account=Account(ref.account),
            cl_ord_id=ClOrdId(ref.cl_ord_id),
            order_id=ref.order_id,
            instrument=self.instrument,
            canceled_qty=qty,
            expired=expired,
            reason=reason,
            ts_event=self.ts,
        )


def reports_for(book: Book, view: View, fees: VenueFees, ts: int) -> Reports:
    instrument = InstrumentId(book.instrument)
    return Reports(instrument, view.instrument(instrument), fees, ts)

"""pnl-marker: a PnlSnapshot per fill, naming the marks it used.

A ``process`` agent keyed by account over ``exec.reports``. Unrealized PnL mixes two
streams (positions x latest marks), so it is recorded as an event that names its marks
(ARCHITECTURE.md): replaying the ``pnl`` table then never needs the quotes again.

Marks: ``view.mid(instrument)`` for each instrument held, or the account's last fill
price in it when no quote has been seen. Realized and unrealized PnL are summed over the
account's instruments in their settlement currencies (one currency per account is the
expected case; PnlSnapshot has no per-currency split). Fees stay per currency.

Duplicates: the runtime folds a fill once per account and ExecID (``streams.codec.fact_id``),
whatever event id it arrives under, so the marker keeps no ids of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.pnl.state import ZERO, PnlBook
from agents.positions.fold import apply_fill, unrealized_pnl
from agents.positions.state import Position
from schemas import PnlSnapshot, Record
from schemas.view import View


class PnlMarker:
    def __init__(self, registry: InstrumentRegistry) -> None:
        self.registry = registry

    def process(self, book: PnlBook, fill: Any, view: View) -> tuple[PnlBook, Sequence[Record]]:
        if fill.kind != "fill":
            return book, ()
        instrument = fill.instrument
        current = book.positions.get(instrument) or Position(
            account=book.account, instrument=instrument
        )
        moved = apply_fill(current, fill, self.registry.require(instrument))
        book.positions[instrument] = moved
        book.last_price[instrument] = fill.price
        return book, (self.snapshot(book, view, fill.exec_id, fill.ts_event),)

    def snapshot(self, book: PnlBook, view: View, cause: str, ts: int) -> PnlSnapshot:
        """The account's PnL now: O(instruments the account has traded)."""
        realized = unrealized = ZERO
        fees: dict[str, Decimal] = {}
        marks: dict[str, Decimal] = {}
        for instrument in sorted(book.positions):
            position = book.positions[instrument]
            realized += position.realized_pnl
            for currency, fee in position.fees.items():
                fees[currency] = fees.get(currency, ZERO) + fee
            if position.qty == ZERO:
                continue
            mark = view.mid(instrument)
            if mark is None:
                mark = book.last_price[instrument]
            marks[instrument] = mark
            multiplier = self.registry.require(instrument).multiplier
            unrealized += unrealized_pnl(position, mark, multiplier)
        return PnlSnapshot.model_validate(
            {
                "account": book.account,
                "realized_pnl": realized,
                "unrealized_pnl": unrealized,
                "fees": dict(sorted(fees.items())),
                "marks": marks,
                "cause": cause,
                "ts_event": ts,
            }
        )

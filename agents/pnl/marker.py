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
from agents.positions.fold import apply_fill
from agents.positions.state import Position
from schemas import InstrumentDefinition, PnlSnapshot, Record
from schemas.types import MAX_ABS_DECIMAL
from schemas.view import View
from streams.records import trusted_record

_LOWEST = -MAX_ABS_DECIMAL


class PnlMarker:
    def __init__(self, registry: InstrumentRegistry) -> None:
        self.registry = registry
        self._definitions: dict[str, InstrumentDefinition] = {}
        """The registry's definitions met so far: a dict lookup, not a method call."""

    def _definition(self, instrument: str) -> InstrumentDefinition:
        definition = self._definitions[instrument] = self.registry.require(instrument)
        return definition

    def process(self, book: PnlBook, fill: Any, view: View) -> tuple[PnlBook, Sequence[Record]]:
        if fill.kind != "fill":
            return book, ()
        instrument = fill.instrument
        definition = self._definitions.get(instrument) or self._definition(instrument)
        positions = book.positions
        current = positions.get(instrument) or Position(account=book.account, instrument=instrument)
        positions[instrument] = apply_fill(current, fill, definition)
        book.last_price[instrument] = fill.price
        return book, (self.snapshot(book, view, fill.exec_id, fill.ts_event),)

    def snapshot(self, book: PnlBook, view: View, cause: str, ts: int) -> PnlSnapshot:
        """The account's PnL now: O(instruments the account has traded)."""
        realized = unrealized = ZERO
        fees: dict[str, Decimal] = {}
        marks: dict[str, Decimal] = {}
        positions = book.positions
        for instrument in sorted(positions) if len(positions) > 1 else positions:
            position = positions[instrument]
            realized += position.realized_pnl
            for currency, fee in position.fees.items():
                fees[currency] = fees.get(currency, ZERO) + fee
            qty = position.qty
            if not qty:
                continue
            mark = view.mid(instrument)
            if mark is None:
                mark = book.last_price[instrument]
            marks[instrument] = mark
            definition = self._definitions.get(instrument) or self._definition(instrument)
            # unrealized_pnl(): q * m * (mark - A), inlined (one call less per fill)
            unrealized += qty * definition.multiplier * (mark - position.avg_price)
        if len(fees) > 1:
            fees = dict(sorted(fees.items()))
        # What validating a ``Dec`` would check of amounts the fold computed: their size
        # (they are finite, being sums and products of finite decimals).
        if not (_LOWEST < realized < MAX_ABS_DECIMAL and _LOWEST < unrealized < MAX_ABS_DECIMAL):
            raise ValueError(f"PnL {realized} / {unrealized} is absurdly large")
        for fee in fees.values():
            if not _LOWEST < fee < MAX_ABS_DECIMAL:
                raise ValueError(f"fees of {fee} are absurdly large")
        # Valid by construction (checked above), not validated again: ``model_validate``
        # was half the marker's cost per fill. tests/agents/pnl/test_marker.py checks the
        # result against a validated snapshot.
        snapshot = trusted_record(
            PnlSnapshot,
            {
                "kind": PnlSnapshot.KIND,
                "ts_event": ts,
                "account": book.account,
                "realized_pnl": realized,
                "unrealized_pnl": unrealized,
                "fees": fees,
                "marks": marks,
                "cause": cause,
            },
        )
        return snapshot

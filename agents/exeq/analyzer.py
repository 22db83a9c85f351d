"""exeq-analyzer: per-order execution quality from order events and the quotes around them.

A ``process`` agent keyed by instrument (ticks and order events both name one). Its state
is working memory, not a table: the orders it is watching and a heap of markout horizons
by due time. The ``exeq`` table folds the reports it records.

Time and as-of semantics: a horizon due at ``fill_ts + h`` takes the latest mid at or
before that instant. That mid is known once a tick (quote or trade) with
``ts_event > fill_ts + h`` arrives, so each tick first resolves the due horizons with the
mid as it stood *before* the tick, then applies the tick. Order events never advance
time. A tick only touches the heap's due entries, so it costs O(1) when nothing is due.

Reports: when an order becomes terminal it gets a provisional report (``final=False``)
with the horizons resolved so far; once every fill has passed every horizon it gets the
final one (``final=True``) and leaves memory. An order with nothing pending at its
terminal event (no fills, or fills older than every horizon) gets only the final report.
Horizons that the data never reaches stay pending: their provisional report keeps None
for them and no final report is written until later ticks arrive.

Multi-fill orders: the order's markout at ``h`` is ``side * (M_h - avg_px) / avg_px``
where ``M_h`` is the quantity-weighted mid at ``t_j + h`` over its fills ``j``; that is
the notional-weighted average of the per-fill markouts and equals DOMAIN.md's formula
for a single fill. The realized spread uses the same ``M_delta`` (it is linear, so it is
also the quantity-weighted average of the per-fill spreads).

Market VWAP: trades seen on ``md.ticks`` between the order's acceptance and its terminal
event, in log order. The book keeps running sums (reset whenever no order is open, so
they stay small and exact) and each order remembers where they stood at acceptance.

Order quantity: after a replace the order's new quantity is the intended quantity ``S``
of the shortfall and the denominator of the fill rate.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from agents.exeq.metrics import (
    ONE,
    TCA_CONTEXT,
    TWO,
    ZERO,
    arrival_slippage_bps,
    average_price,
    effective_spread,
    fill_rate,
    implementation_shortfall,
    latency_ns,
    markout_bps,
    realized_spread,
    vwap_slippage_bps,
)
from agents.exeq.state import ExeqBook, OrderAnalysis
from agents.instruments import InstrumentRegistry
from schemas import ExecutionQuality, Record
from schemas.view import View

MS = 1_000_000
SECOND = 1_000_000_000
MARKOUT_HORIZONS_NS: tuple[int, ...] = (100 * MS, SECOND, 5 * SECOND, 60 * SECOND)
MARKOUT_FIELDS = ("markout_100ms_bps", "markout_1s_bps", "markout_5s_bps", "markout_60s_bps")
DEFAULT_REALIZED_SPREAD_DELTA_NS = 5 * SECOND

TICK_KINDS = frozenset({"quote", "trade"})
ORDER_KINDS = frozenset(
    {
        "order_accepted",
        "order_partially_filled",
        "order_filled",
        "order_canceled",
        "order_replaced",
        "order_expired",
    }
)


def order_key(event: Any) -> str:
    """``account|order_id``: stable across cancel/replace, unlike the ClOrdID."""
    return f"{event.account}|{event.order_id}"


Reports = list[Record]


class Analyzer:
    """The analyzer's pure logic, configured once (horizons, instruments)."""

    def __init__(
        self,
        registry: InstrumentRegistry,
        realized_spread_delta_ns: int = DEFAULT_REALIZED_SPREAD_DELTA_NS,
    ) -> None:
        if realized_spread_delta_ns <= 0:
            raise ValueError("the realized-spread delta must be a positive number of ns")
        self.registry = registry
        self.horizons: tuple[int, ...] = tuple(
            sorted({*MARKOUT_HORIZONS_NS, realized_spread_delta_ns})
        )
        """Every distinct horizon, ascending; a fill walks them one after the other."""
        self._markout_index = tuple(self.horizons.index(h) for h in MARKOUT_HORIZONS_NS)
        self._delta_index = self.horizons.index(realized_spread_delta_ns)
        self._handlers: dict[str, Callable[[ExeqBook, Any], Reports]] = {
            "quote": self._on_tick,
            "trade": self._on_tick,
            "order_accepted": self._on_accepted,
            "order_partially_filled": self._on_fill,
            "order_filled": self._on_fill,
            "order_canceled": self._on_end,
            "order_expired": self._on_end,
            "order_replaced": self._on_replaced,
        }

    def process(self, book: ExeqBook, record: Any, view: View) -> tuple[ExeqBook, Sequence[Record]]:
        handler = self._handlers.get(record.kind)
        if handler is None:
            return book, ()
        return book, handler(book, record)

    # -- ticks -------------------------------------------------------------------------

    def _on_tick(self, book: ExeqBook, tick: Any) -> Reports:
        ts = tick.ts_event
        reports = self._resolve_due(book, ts) if book.due and book.due[0][0] < ts else []
        if tick.kind == "quote":
            if ts >= book.quote_ts:
                book.mid = TCA_CONTEXT.divide(tick.bid + tick.ask, TWO)
                book.quote_ts = ts
        elif book.open_orders:
            book.trade_pv += tick.price * tick.size
            book.trade_volume += tick.size
        return reports

    def _resolve_due(self, book: ExeqBook, now: int) -> Reports:
        """Resolve every horizon due strictly before ``now`` with the current mid."""
        due, mid, last = book.due, book.mid, len(self.horizons) - 1
        finals: Reports = []
        while due and due[0][0] < now:
            _, _, key, index, fill_ts, qty = heapq.heappop(due)
            order = book.orders[key]
            if mid is None:
                order.horizon_unquoted = _replaced(order.horizon_unquoted, index, True)
            else:
                mid_qty = order.horizon_mid_qty[index] + qty * mid
                order.horizon_mid_qty = _replaced(order.horizon_mid_qty, index, mid_qty)
            order.horizon_qty = _replaced(order.horizon_qty, index, order.horizon_qty[index] + qty)
            if index < last:
                self._push(book, fill_ts + self.horizons[index + 1], key, index + 1, fill_ts, qty)
                continue
            order.pending -= 1
            if order.pending == 0 and order.terminal:
                del book.orders[key]
                finals.append(self.report(book.instrument, order, now, final=True))
        if not due:
            book.seq = 0  # an idle book is back to its initial form
        return finals

    @staticmethod
    def _push(
        book: ExeqBook, due_ts: int, key: str, index: int, fill_ts: int, qty: Decimal
    ) -> None:
        book.seq += 1
        heapq.heappush(book.due, (due_ts, book.seq, key, index, fill_ts, qty))

    # -- order events ------------------------------------------------------------------

    def _on_accepted(self, book: ExeqBook, event: Any) -> Reports:
        key = order_key(event)
        if key in book.orders:
            return []
        count = len(self.horizons)
        book.orders[key] = OrderAnalysis(
            account=event.account,
            order_id=event.order_id,
            cl_ord_id=event.cl_ord_id,
            side=event.side,
            order_qty=event.qty,
            arrival_mid=event.arrival_mid,
            accept_ts=event.ts_event,
            ts_command=event.ts_command,
            last_event_ts=event.ts_event,
            trade_pv_start=book.trade_pv,
            trade_volume_start=book.trade_volume,
            horizon_mid_qty=(ZERO,) * count,
            horizon_qty=(ZERO,) * count,
            horizon_unquoted=(False,) * count,
        )
        book.open_orders += 1
        return []

    def _on_fill(self, book: ExeqBook, event: Any) -> Reports:
        key = order_key(event)
        order = book.orders.get(key)
        if order is None or order.terminal or event.exec_id in order.exec_ids:
            return []  # unknown order, late or repeated execution: nothing to analyse
        definition = self.registry.get(book.instrument)
        ts, qty = event.ts_event, event.last_qty
        order.cum_qty += qty
        order.notional += qty * event.last_px
        if definition is None or event.fee_currency == definition.settlement_currency:
            order.fees += event.fee
        order.exec_ids = (*order.exec_ids, event.exec_id)
        order.first_fill_ts = ts if order.first_fill_ts is None else min(order.first_fill_ts, ts)
        order.last_fill_ts = ts if order.last_fill_ts is None else max(order.last_fill_ts, ts)
        order.last_event_ts = max(order.last_event_ts, ts)
        order.pending += 1
        self._push(book, ts + self.horizons[0], key, 0, ts, qty)
        if event.kind == "order_filled":
            return self._terminate(book, key, order, ts)
        return []

    def _on_end(self, book: ExeqBook, event: Any) -> Reports:
        key = order_key(event)
        order = book.orders.get(key)
        if order is None or order.terminal:
            return []
        return self._terminate(book, key, order, event.ts_event)

    def _on_replaced(self, book: ExeqBook, event: Any) -> Reports:
        key = order_key(event)
        order = book.orders.get(key)
        if order is None or order.terminal:
            return []
        order.cl_ord_id = event.cl_ord_id
        order.order_qty = event.qty
        order.last_event_ts = max(order.last_event_ts, event.ts_event)
        if event.leaves_qty == ZERO:  # replaced down to what had filled: the order is done
            return self._terminate(book, key, order, event.ts_event)
        return []

    def _terminate(self, book: ExeqBook, key: str, order: OrderAnalysis, ts: int) -> Reports:
        order.terminal = True
        order.terminal_ts = ts
        order.last_event_ts = max(order.last_event_ts, ts)
        order.end_mid = book.mid
        order.market_pv = book.trade_pv - order.trade_pv_start
        order.market_volume = book.trade_volume - order.trade_volume_start
        book.open_orders -= 1
        if book.open_orders == 0:
            book.trade_pv = book.trade_volume = ZERO
        if order.pending == 0:
            del book.orders[key]
            return [self.report(book.instrument, order, ts, final=True)]
        return [self.report(book.instrument, order, ts, final=False)]

    # -- reports -----------------------------------------------------------------------

    def _horizon_mid(self, order: OrderAnalysis, index: int) -> Decimal | None:
        """``M_h``, once every fill has passed horizon ``index`` with a quote in place."""
        if order.cum_qty == ZERO or order.horizon_unquoted[index]:
            return None
        if order.horizon_qty[index] != order.cum_qty:
            return None
        return TCA_CONTEXT.divide(order.horizon_mid_qty[index], order.cum_qty)

    def report(
        self, instrument: str, order: OrderAnalysis, ts: int, *, final: bool
    ) -> ExecutionQuality:
        side, arrival = order.side, order.arrival_mid
        avg = average_price(order.notional, order.cum_qty)
        vwap = average_price(order.market_pv, order.market_volume)
        definition = self.registry.get(instrument)
        multiplier = ONE if definition is None else definition.multiplier
        shortfall = (
            None
            if arrival is None
            else implementation_shortfall(
                side,
                order.order_qty,
                order.cum_qty,
                order.notional,
                arrival,
                order.end_mid,
                order.fees,
                multiplier,
            )
        )
        fields: dict[str, Any] = {
            "account": order.account,
            "cl_ord_id": order.cl_ord_id,
            "order_id": order.order_id,
            "instrument": instrument,
            "side": side,
            "order_qty": order.order_qty,
            "cum_qty": order.cum_qty,
            "avg_px": avg,
            "arrival_mid": arrival,
            "market_vwap": vwap,
            "end_mid": order.end_mid,
            "fees": order.fees,
            "fill_rate": fill_rate(order.cum_qty, order.order_qty),
            "ack_latency_ns": order.accept_ts - order.ts_command,
            "first_fill_latency_ns": latency_ns(order.ts_command, order.first_fill_ts),
            "last_fill_latency_ns": latency_ns(order.ts_command, order.last_fill_ts),
            "final": final,
            "ts_event": ts,
        }
        if shortfall is not None:
            fields["implementation_shortfall"] = shortfall.amount
            fields["implementation_shortfall_bps"] = shortfall.bps
        if avg is not None:
            if arrival is not None:
                fields["arrival_slippage_bps"] = arrival_slippage_bps(side, avg, arrival)
                fields["effective_spread"] = effective_spread(side, avg, arrival)
            if vwap is not None:
                fields["vwap_slippage_bps"] = vwap_slippage_bps(side, avg, vwap)
            later = self._horizon_mid(order, self._delta_index)
            if later is not None:
                fields["realized_spread"] = realized_spread(side, avg, later)
            for name, index in zip(MARKOUT_FIELDS, self._markout_index, strict=True):
                later = self._horizon_mid(order, index)
                if later is not None:
                    fields[name] = markout_bps(side, avg, later)
        return ExecutionQuality.model_validate(fields)


T = TypeVar("T")


def _replaced(values: tuple[T, ...], index: int, value: T) -> tuple[T, ...]:
    """``values`` with ``values[index]`` replaced (the rows hold tuples: see state.py)."""
    return (*values[:index], value, *values[index + 1 :])

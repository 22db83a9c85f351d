"""Building blocks of a scenario: order events and fills with deterministic ids.

A ``FlowBuilder`` writes the records the compliance agent consumes, as the OMS and the
venue would have written them (``OrderAccepted``, ``Fill`` + ``OrderPartiallyFilled`` /
``OrderFilled``, ``OrderCanceled``), without running either. Ids are per account:
ClOrdIDs ``ACC-C1``, order ids ``ACC-O1``, ExecIDs ``ACC-X1``. Records are kept with a
sequence number so that sorting by event time keeps the order they were built in for
equal times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from agents.compliance.evidence import fill_id, request_id
from schemas import (
    Account,
    ClOrdId,
    Fill,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderPartiallyFilled,
    Record,
)
from schemas.types import Side
from streams.topics import EXEC_REPORTS, ORDERS_EVENTS

MS = 1_000_000
SECOND = 1_000_000_000
T0 = 1_700_000_000_000_000_000
FEE_CURRENCY = "USD"


@dataclass
class OpenOrder:
    """What the builder remembers of an order it accepted."""

    account: str
    cl_ord_id: str
    order_id: str
    instrument: str
    side: Side
    qty: Decimal
    accepted_ts: int
    cum_qty: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)

    @property
    def leaves(self) -> Decimal:
        return self.qty - self.cum_qty


@dataclass
class FlowBuilder:
    events: list[tuple[int, int, str, Record]] = field(default_factory=list)
    """(ts_event, build sequence, topic, record)."""
    counters: dict[str, int] = field(default_factory=dict)

    def _next(self, account: str, prefix: str) -> str:
        number = self.counters.get(f"{account}/{prefix}", 0) + 1
        self.counters[f"{account}/{prefix}"] = number
        return f"{account}-{prefix}{number}"

    def _add(self, topic: str, record: Record) -> None:
        self.events.append((record.ts_event, len(self.events), topic, record))

    def sorted_events(self) -> list[tuple[str, Record]]:
        return [(topic, record) for _, _, topic, record in sorted(self.events, key=_order)]

    def accept(
        self,
        account: str,
        instrument: str,
        side: Side,
        qty: Decimal,
        limit_price: Decimal,
        arrival_mid: Decimal,
        ts: int,
    ) -> tuple[OpenOrder, str]:
        """A DAY limit order accepted at ``ts``; returns it and its evidence id."""
        order = OpenOrder(
            account=account,
            cl_ord_id=self._next(account, "C"),
            order_id=self._next(account, "O"),
            instrument=instrument,
            side=side,
            qty=qty,
            accepted_ts=ts,
        )
        record = OrderAccepted(
            account=Account(account),
            cl_ord_id=ClOrdId(order.cl_ord_id),
            order_id=order.order_id,
            instrument=InstrumentId(instrument),
            side=side,
            order_type="limit",
            qty=qty,
            limit_price=limit_price,
            tif="DAY",
            arrival_mid=arrival_mid,
            ts_command=ts,
            ts_event=ts,
        )
        self._add(ORDERS_EVENTS, record)
        return order, request_id(record)

    def fill(self, order: OpenOrder, qty: Decimal, price: Decimal, ts: int) -> str:
        """A venue fill and the OMS's execution event; returns the fill's evidence id."""
        assert 0 < qty <= order.leaves, "a scenario never overfills"
        fill = Fill(
            exec_id=self._next(order.account, "X"),
            account=Account(order.account),
            instrument=InstrumentId(order.instrument),
            side=order.side,
            qty=qty,
            price=price,
            fee=Decimal(0),
            fee_currency=FEE_CURRENCY,
            cl_ord_id=ClOrdId(order.cl_ord_id),
            liquidity="maker",
            ts_event=ts,
        )
        self._add(EXEC_REPORTS, fill)
        order.cum_qty += qty
        order.notional += qty * price
        execution = OrderPartiallyFilled if order.leaves else OrderFilled
        self._add(
            ORDERS_EVENTS,
            execution(
                account=fill.account,
                cl_ord_id=ClOrdId(order.cl_ord_id),
                order_id=order.order_id,
                instrument=fill.instrument,
                exec_id=fill.exec_id,
                side=order.side,
                last_qty=qty,
                last_px=price,
                cum_qty=order.cum_qty,
                leaves_qty=order.leaves,
                avg_px=order.notional / order.cum_qty,
                fee=fill.fee,
                fee_currency=fill.fee_currency,
                ts_event=ts,
            ),
        )
        return fill_id(fill)

    def cancel(self, order: OpenOrder, ts: int) -> str:
        """The account cancels what is left; returns the cancel's evidence id."""
        assert order.leaves > 0, "a filled order cannot be canceled"
        record = OrderCanceled(
            account=Account(order.account),
            cl_ord_id=ClOrdId(order.cl_ord_id),
            order_id=order.order_id,
            instrument=InstrumentId(order.instrument),
            cancel_cl_ord_id=ClOrdId(self._next(order.account, "C")),
            cum_qty=order.cum_qty,
            reason="canceled on request",
            ts_event=ts,
        )
        self._add(ORDERS_EVENTS, record)
        order.qty = order.cum_qty  # nothing left
        return request_id(record)


def _order(entry: tuple[int, int, str, Record]) -> tuple[int, int]:
    return entry[0], entry[1]

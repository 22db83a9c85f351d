"""Invariants for any sequence of orders and ticks, checked against an OMS stand-in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import ExecCanceled, Fill, Quote, Record, Trade
from tests.agents.venue.support import D, Venue, accepted, canceled, expired, replaced, summary
from tests.factories import T0, quote, trade

HOUR = 3_600_000_000_000
ZERO = Decimal(0)

prices = st.integers(190, 210).map(lambda n: Decimal(n) / 2)
sizes = st.sampled_from(["0.1", "0.25", "0.5", "1", "2", "3"]).map(Decimal)

quotes = st.tuples(st.just("quote"), prices, st.integers(0, 3), sizes, sizes)
trades = st.tuples(st.just("trade"), prices, sizes)
new_orders = st.tuples(
    st.just("order"),
    st.sampled_from(["buy", "sell"]),
    st.sampled_from(["limit", "limit", "limit", "market"]),
    sizes,
    prices,
    st.sampled_from(["DAY", "DAY", "GTC", "IOC"]),
    st.sampled_from([None, None, None, -1, HOUR // 2, 30 * HOUR]),
)
# one_of has no weights: repeating a strategy makes it likelier.
actions = st.one_of(
    quotes,
    quotes,
    trades,
    trades,
    trades,
    new_orders,
    new_orders,
    new_orders,
    st.tuples(st.just("replace"), st.integers(0, 50), sizes, prices),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("wait"), st.sampled_from([1_000_000_000, 6 * HOUR, 20 * HOUR])),
)


@dataclass
class Tracked:
    """What an OMS would know about one order, from the venue's reports."""

    side: str
    qty: Decimal
    limit: Decimal | None
    rests: bool
    cl_ord_id: str
    filled: Decimal = ZERO
    canceled: Decimal | None = None
    closed_by_oms: bool = False

    @property
    def done_at_venue(self) -> bool:
        return self.canceled is not None or self.filled == self.qty

    @property
    def working(self) -> bool:
        return self.rests and not self.done_at_venue and not self.closed_by_oms


class Simulation:
    def __init__(self) -> None:
        self.venue = Venue()
        self.orders: dict[str, Tracked] = {}
        self.exec_ids: set[str] = set()
        self.ts = T0 + HOUR
        self.outputs: list[tuple[str, ...]] = []

    def working(self) -> list[str]:
        return [oid for oid, o in self.orders.items() if o.working]

    def run(self, action: tuple[Any, ...]) -> None:
        self.ts += 1
        kind = action[0]
        record: Record | None = None
        if kind == "wait":
            self.ts += action[1]
        elif kind == "quote":
            _, bid, spread, bid_size, ask_size = action
            record = quote(
                bid=str(bid),
                ask=str(bid + Decimal(spread) / 2),
                bid_size=str(bid_size),
                ask_size=str(ask_size),
                ts_event=self.ts,
            )
        elif kind == "trade":
            record = trade(price=str(action[1]), size=str(action[2]), ts_event=self.ts)
        elif kind == "order":
            record = self._new_order(*action[1:])
        elif kind == "replace":
            record = self._replace(*action[1:])
        else:
            record = self._cancel(*action[1:])
        if record is not None:
            out = self.venue.send(record)
            self.outputs.extend(summary(out))
            self._check(record, out)

    def _new_order(
        self, side: str, order_type: str, qty: Decimal, limit: Decimal, tif: str, exp: int | None
    ) -> Record:
        order_id = f"O{len(self.orders)}"
        is_limit = order_type == "limit"
        self.orders[order_id] = Tracked(
            side=side,
            qty=qty,
            limit=limit if is_limit else None,
            rests=is_limit and tif != "IOC",
            cl_ord_id=f"{order_id}.0",
        )
        return accepted(
            order_id=order_id,
            cl_ord_id=f"{order_id}.0",
            side=side,
            order_type=order_type,
            qty=str(qty),
            limit_price=str(limit) if is_limit else None,
            tif=tif if is_limit else "IOC",
            expire_ts=None if exp is None else self.ts + exp,
            ts_event=self.ts,
            ts_command=self.ts,
        )

    def _replace(self, pick: int, more: Decimal, limit: Decimal) -> Record | None:
        live = self.working()
        if not live:
            return None
        order_id = live[pick % len(live)]
        order = self.orders[order_id]
        new_cl = f"{order_id}.{self.ts}"
        record = replaced(
            order_id=order_id,
            cl_ord_id=new_cl,
            orig_cl_ord_id=order.cl_ord_id,
            qty=str(order.filled + more),
            limit_price=str(limit),
            leaves_qty=str(more),
            ts_event=self.ts,
        )
        order.qty, order.limit, order.cl_ord_id = order.filled + more, limit, new_cl
        return record

    def _cancel(self, pick: int, as_expiry: bool) -> Record | None:
        live = self.working()
        if not live:
            return None
        order_id = live[pick % len(live)]
        order = self.orders[order_id]
        order.closed_by_oms = True
        factory = expired if as_expiry else canceled
        return factory(
            order_id=order_id,
            cl_ord_id=order.cl_ord_id,
            cum_qty=str(order.filled),
            ts_event=self.ts,
        )

    def _check(self, cause: Record, out: list[Record]) -> None:
        taken = {"buy": D(0), "sell": D(0)}
        for report in out:
            assert report.ts_event == cause.ts_event
            if isinstance(report, Fill):
                order_id = report.exec_id.rsplit("-F", 1)[0]
                order = self.orders[order_id]
                assert not order.done_at_venue
                assert not order.closed_by_oms
                assert report.exec_id not in self.exec_ids
                self.exec_ids.add(report.exec_id)
                assert report.side == order.side
                assert report.cl_ord_id == order.cl_ord_id
                if order.limit is not None:
                    if order.side == "buy":
                        assert report.price <= order.limit
                    else:
                        assert report.price >= order.limit
                order.filled += report.qty
                assert order.filled <= order.qty, "filled beyond the order qty"
                taken[order.side] += report.qty
            else:
                assert isinstance(report, ExecCanceled)
                order = self.orders[report.order_id]
                assert not order.done_at_venue
                assert not order.closed_by_oms
                order.canceled = report.canceled_qty
                assert order.filled + order.canceled == order.qty
        if isinstance(cause, Trade):
            assert taken["buy"] <= cause.size
            assert taken["sell"] <= cause.size
        if isinstance(cause, Quote):
            assert taken["buy"] <= cause.ask_size
            assert taken["sell"] <= cause.bid_size
        self._check_book()

    def _check_book(self) -> None:
        book = self.venue.books.get("binance-futures:BTCUSDT")
        if book is None:
            return
        assert sorted(book.orders) == sorted(self.working())
        for order_id, resting in book.orders.items():
            order = self.orders[order_id]
            assert resting.leaves_qty == order.qty - order.filled > 0
            assert resting.limit_price == order.limit
        assert len(book.bids) + len(book.asks) == len(book.orders)
        assert book.bids == sorted(book.bids)
        assert book.asks == sorted(book.asks)
        assert book.ask_left >= 0
        assert book.bid_left >= 0


@settings(max_examples=150, deadline=None)
@given(st.lists(actions, min_size=20, max_size=80))
def test_fills_never_exceed_qty_never_beat_the_limit_and_complete_orders_add_up(
    script: list[tuple[Any, ...]],
) -> None:
    sim = Simulation()
    for action in script:
        sim.run(action)
    for order in sim.orders.values():
        if order.done_at_venue:
            assert order.filled + (order.canceled or D(0)) == order.qty
        if not order.rests and not order.closed_by_oms:
            assert order.done_at_venue, "a market or IOC order must complete on arrival"

    again = Simulation()
    for action in script:
        again.run(action)
    assert again.outputs == sim.outputs
    assert again.venue.books == sim.venue.books


def test_same_inputs_same_fills() -> None:
    script: list[tuple[Any, ...]] = [
        ("quote", D(100), 1, D(2), D(1)),
        ("order", "buy", "limit", D(3), D("100.5"), "DAY", None),
        ("order", "sell", "limit", D(1), D(101), "GTC", None),
        ("order", "buy", "limit", D(1), D(99), "GTC", 30 * HOUR),
        ("trade", D("98.5"), D(2)),
        ("replace", 0, D(2), D(99)),
        ("quote", D(99), 0, D(1), D(1)),
        ("trade", D(102), D(1)),
        ("order", "sell", "market", D(5), D(1), "IOC", None),
        ("wait", 20 * HOUR),
        ("trade", D(90), D(9)),
    ]
    runs = []
    for _ in range(2):
        sim = Simulation()
        for action in script:
            sim.run(action)
        runs.append(sim.outputs)
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 6  # the script does trade: the comparison is not vacuous

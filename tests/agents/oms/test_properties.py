"""Properties of the OMS over any sequence of commands and execution reports:
the order invariants hold, every status change is in the transition table, every
command leaves a recorded event, and replaying the recorded events (JSON round trip)
rebuilds exactly the live books."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.oms import transitions as t
from agents.oms.state import AccountBook
from agents.risk.limits import AccountLimits, InstrumentLimits, RiskLimits
from schemas import (
    CancelOrder,
    ExecCanceled,
    Fill,
    KillSwitch,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReplaced,
    Record,
    ReplaceOrder,
    SetTradingState,
    SubmitOrder,
)
from streams.state import encode_state
from tests.agents.oms.harness import ALPHA, BRAVO, CHARLIE, Desk
from tests.factories import T0

D = Decimal
ACCOUNTS = ("ACC-1", "ACC-2")
CL_ORD_IDS = tuple(f"C{number}" for number in range(10))
EXEC_IDS = tuple(f"E{number}" for number in range(8))
MIDS = {ALPHA: D(100), CHARLIE: D(50), BRAVO: D(10)}
TICKS = {ALPHA: D("0.01"), CHARLIE: D("0.05"), BRAVO: D("0.01")}
LOTS = {ALPHA: D(1), CHARLIE: D(10), BRAVO: D(1)}
LIMITS = RiskLimits(
    default_account=AccountLimits(
        max_order_qty=D(40),
        max_order_notional=D(30_000),
        credit_limit=D(20_000),
        max_messages_per_second=6,
    ),
    default_instrument=InstrumentLimits(price_collar_bps=D(300), position_limit=D(40)),
)
ALLOWED = {(source, target) for (source, _), target in t.TRANSITIONS.items()}
COMMANDS = (SubmitOrder, CancelOrder, ReplaceOrder, SetTradingState, KillSwitch)


def _price(draw: Any, instrument: str) -> str:
    ticks = draw(st.integers(-40, 40))
    off_grid = draw(st.sampled_from([D(0)] * 19 + [TICKS[instrument] / 2]))
    return str(MIDS[instrument] + ticks * TICKS[instrument] + off_grid)


def _qty(draw: Any, instrument: str, top: int = 30) -> str:
    lots = draw(st.integers(1, top))
    off_grid = draw(st.sampled_from([D(0)] * 19 + [LOTS[instrument] / 2]))
    return str(lots * LOTS[instrument] + off_grid)


@st.composite
def action(draw: Any, desk: Desk, ts: int, fresh: str) -> Record:
    account = draw(st.sampled_from(ACCOUNTS))
    book = desk.book(account)
    live = sorted(book.orders.values(), key=lambda order: order.seq)
    kind = draw(
        st.sampled_from(
            ["submit"] * 6
            + ["fill"] * 6
            + ["cancel"] * 2
            + ["replace"] * 3
            + ["exec_canceled", "state", "kill"]
        )
    )
    used = sorted(book.used_cl_ord_ids)
    reuse = used and draw(st.integers(0, 7)) == 0
    cl_ord_id = draw(st.sampled_from(used)) if reuse else fresh
    if kind == "submit":
        instrument = draw(st.sampled_from([ALPHA, ALPHA, CHARLIE, BRAVO]))
        market = draw(st.integers(0, 4)) == 0
        return SubmitOrder.model_validate(
            {
                "account": account,
                "cl_ord_id": cl_ord_id,
                "instrument": instrument,
                "side": draw(st.sampled_from(["buy", "sell"])),
                "order_type": "market" if market else "limit",
                "qty": _qty(draw, instrument),
                "limit_price": None if market else _price(draw, instrument),
                "ts_event": ts,
            }
        )
    target = draw(st.sampled_from(live)) if live and draw(st.integers(0, 4)) > 0 else None
    orig = target.cl_ord_id if target is not None else draw(st.sampled_from(CL_ORD_IDS))
    if kind == "cancel":
        return CancelOrder(account=account, cl_ord_id=cl_ord_id, orig_cl_ord_id=orig, ts_event=ts)
    if kind == "replace":
        instrument = target.instrument if target is not None else ALPHA
        keep_price = target is not None and target.order_type == "market"
        return ReplaceOrder.model_validate(
            {
                "account": account,
                "cl_ord_id": cl_ord_id,
                "orig_cl_ord_id": orig,
                "qty": _qty(draw, instrument),
                "limit_price": None if keep_price else _price(draw, instrument),
                "ts_event": ts,
            }
        )
    if kind == "fill":
        matched = target is not None and draw(st.integers(0, 5)) > 0
        instrument = target.instrument if matched and target else ALPHA
        earlier = target.orig_cl_ord_ids if target is not None else []
        named = draw(st.sampled_from([orig, None, *earlier]))
        return Fill.model_validate(
            {
                "exec_id": draw(st.sampled_from(EXEC_IDS)) + draw(st.sampled_from(["", "x"])),
                "account": account,
                "instrument": instrument,
                "side": target.side
                if matched and target
                else draw(st.sampled_from(["buy", "sell"])),
                "qty": _qty(draw, instrument, top=12),
                "price": _price(draw, instrument),
                "fee": "0.1",
                "fee_currency": "USD",
                "cl_ord_id": named,
                "ts_event": ts,
            }
        )
    if kind == "exec_canceled":
        return ExecCanceled(
            account=account,
            cl_ord_id=orig,
            order_id=target.order_id if target is not None else f"{account}-1",
            instrument=target.instrument if target is not None else ALPHA,
            canceled_qty=D(1),
            expired=draw(st.booleans()),
            reason="venue",
            ts_event=ts,
        )
    if kind == "state":
        state = draw(st.sampled_from(["ACTIVE"] * 4 + ["REDUCING", "HALTED"]))
        return SetTradingState(account=account, state=state, reason="test", ts_event=ts)
    return KillSwitch(account=account, reason="test", requested_by="ops", ts_event=ts)


def _terminal_status(event: Record) -> str | None:
    if isinstance(event, OrderFilled):
        return t.FILLED
    if isinstance(event, OrderCanceled):
        return t.CANCELED
    if isinstance(event, OrderExpired):
        return t.EXPIRED
    if isinstance(event, OrderReplaced) and not event.leaves_qty:
        return t.FILLED
    return None


class Model:
    """What the test itself expects, computed from the emitted events."""

    def __init__(self) -> None:
        self.notional: dict[str, Decimal] = defaultdict(Decimal)
        self.position: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.exec_ids: set[tuple[str, str]] = set()

    def record(self, event: Record) -> None:
        if isinstance(event, OrderPartiallyFilled | OrderFilled):
            key = (event.account, event.exec_id)
            assert key not in self.exec_ids, f"exec {event.exec_id} applied twice"
            self.exec_ids.add(key)
            assert event.cum_qty + event.leaves_qty > 0
            assert event.leaves_qty >= 0
            self.notional[event.order_id] += event.last_qty * event.last_px
            assert event.avg_px == self.notional[event.order_id] / event.cum_qty
            signed = event.last_qty if event.side == "buy" else -event.last_qty
            self.position[(event.account, event.instrument)] += signed


def check_book(book: AccountBook, model: Model) -> None:
    working: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for order_id, order in book.orders.items():
        assert order.status in t.LIVE
        assert order.cum_qty + order.leaves_qty == order.qty
        assert D(0) <= order.cum_qty < order.qty
        assert order.leaves_qty > 0
        if order.cum_qty:
            assert order.avg_px == model.notional[order_id] / order.cum_qty
        for cl_ord_id in (order.cl_ord_id, *order.orig_cl_ord_ids):
            assert book.live_ids[cl_ord_id] == order_id
        working[(order.instrument, order.side)] += order.leaves_qty
    assert len(book.live_ids) == sum(1 + len(o.orig_cl_ord_ids) for o in book.orders.values())
    for instrument, holding in book.holdings.items():
        assert holding.buy_qty == working[(instrument, "buy")]
        assert holding.sell_qty == working[(instrument, "sell")]
        assert holding.position == model.position[(book.account, instrument)]
    assert book.message_ts == sorted(book.message_ts)


def check_transitions(before: dict[str, str], book: AccountBook, events: list[Record]) -> None:
    ended = {e.order_id: s for e in events if (s := _terminal_status(e)) is not None}  # type: ignore[attr-defined]
    accepted = {e.order_id for e in events if isinstance(e, OrderAccepted)}
    for order_id in accepted:
        assert (t.PENDING_NEW, t.NEW) in ALLOWED
        assert order_id not in before
    for order_id, status in before.items():
        order = book.orders.get(order_id)
        after = order.status if order is not None else ended.get(order_id)
        assert after is not None, f"order {order_id} vanished without a terminal event"
        if after != status:
            assert (status, after) in ALLOWED, f"{order_id}: {status} -> {after}"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_any_sequence_keeps_the_invariants_and_replays_to_the_live_books(data: Any) -> None:
    desk = Desk(limits=LIMITS)
    model = Model()
    ts = T0
    for step in range(data.draw(st.integers(1, 45), label="steps")):
        ts += data.draw(st.sampled_from([0, 1_000_000, 300_000_000, 1_100_000_000]))
        record = data.draw(action(desk, ts, fresh=f"N{step}"))
        account = record.account  # type: ignore[attr-defined]
        before = {oid: o.status for oid, o in desk.book(account).orders.items()}
        recorded = len(desk.recorded)
        events = desk.send(record)
        order_events = desk.order_events()[recorded:]
        if isinstance(record, COMMANDS):
            assert order_events, f"{record.kind} left no orders.events record"
        for event in order_events:
            model.record(event)
        check_transitions(before, desk.book(account), order_events)
        for book in desk.books.values():
            check_book(book, model)
        assert all(e in events for e in order_events)
        if data.draw(st.booleans(), label="reload"):
            # The runtime may restore a book from its stored bytes between records.
            desk.books = {
                key: msgspec.json.decode(encode_state(book), type=AccountBook)
                for key, book in desk.books.items()
            }
    replayed = desk.replayed()
    for key in set(desk.books) | set(replayed):
        live = desk.books.get(key) or desk.agent.initial(key)
        again = replayed.get(key) or desk.agent.initial(key)
        assert encode_state(again) == encode_state(live)

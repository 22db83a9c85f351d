"""The transition table in use: fills during pending states, and evolve refusing what
the table (or the arithmetic) does not allow, before it changes anything."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.oms import transitions as t
from agents.oms.fold import CorruptOrderEventError, evolve
from schemas import (
    OrderCanceled,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReplaceRejected,
)
from streams.codec import decode_payload
from streams.records import new_record
from streams.topics import ORDERS_EVENTS
from tests.agents.oms.harness import ALPHA, Desk, alpha_fill, alpha_order
from tests.factories import T0, cancel, replace

D = Decimal


def test_fills_apply_while_a_cancel_or_replace_is_pending() -> None:
    desk = Desk()
    alpha_order(desk)
    alpha_order(desk, "C-2")
    book = desk.book()
    book.orders["ACC-1-1"].status = t.PENDING_CANCEL
    book.orders["ACC-1-2"].status = t.PENDING_REPLACE
    part = desk.send(alpha_fill("E-1", "4"))[0]
    assert isinstance(part, OrderPartiallyFilled)
    assert desk.book().orders["ACC-1-1"].status == t.PENDING_CANCEL
    full = desk.send(alpha_fill("E-2", "10", cl_ord_id="C-2"))[0]
    assert isinstance(full, OrderFilled)
    assert "ACC-1-2" not in desk.book().orders
    # A replace is refused while a cancel is pending (no such transition).
    refused = desk.send(replace(cl_ord_id="C-3", orig_cl_ord_id="C-1", qty="8"))[0]
    assert isinstance(refused, OrderReplaceRejected)
    assert "PendingCancel" in refused.reason
    canceled = desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))[0]
    assert isinstance(canceled, OrderCanceled)


def test_a_transition_outside_the_table_raises() -> None:
    with pytest.raises(t.IllegalTransitionError, match="Filled on cancel"):
        t.next_status(t.FILLED, t.CANCEL, "ACC-1-1")
    desk = Desk()
    alpha_order(desk)
    book = desk.book()
    book.orders["ACC-1-1"].status = t.PENDING_NEW  # a corrupt book
    canceled = OrderCanceled(
        account="ACC-1",
        cl_ord_id="C-1",
        order_id="ACC-1-1",
        instrument=ALPHA,
        cum_qty="0",
        reason="x",
        ts_event=T0,
    )
    record = new_record(ORDERS_EVENTS, canceled)
    with pytest.raises(t.IllegalTransitionError):
        evolve(book, decode_payload(record.kind, record.payload))
    assert "ACC-1-1" in book.orders  # nothing changed before the raise


def test_evolve_refuses_an_execution_that_does_not_add_up() -> None:
    desk = Desk()
    alpha_order(desk)
    bogus = OrderPartiallyFilled(
        account="ACC-1",
        cl_ord_id="C-1",
        order_id="ACC-1-1",
        instrument=ALPHA,
        exec_id="E-1",
        side="buy",
        last_qty="2",
        last_px="100",
        cum_qty="3",
        leaves_qty="7",
        avg_px="100",
        fee="0",
        fee_currency="USD",
        ts_event=T0,
    )
    record = new_record(ORDERS_EVENTS, bogus)
    book = desk.book()
    with pytest.raises(CorruptOrderEventError):
        evolve(book, decode_payload(record.kind, record.payload))
    assert book.orders["ACC-1-1"].cum_qty == D(0)
    assert book.exec_ids == set()


def test_every_live_status_can_end_and_terminal_statuses_are_final() -> None:
    sources = {source for source, _ in t.TRANSITIONS}
    assert not sources & t.TERMINAL
    for status in t.LIVE - {t.PENDING_NEW}:
        assert t.allowed(status, t.CANCEL)
        assert t.allowed(status, t.EXPIRE)
        assert t.allowed(status, t.FINAL_FILL)

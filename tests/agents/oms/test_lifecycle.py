"""The OMS order lifecycle, one behaviour per test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.oms import transitions as t
from agents.risk.limits import AccountLimits, RiskLimits
from schemas import (
    ComplianceAlert,
    ExecCanceled,
    KillSwitch,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    RiskDecision,
    SetTradingState,
    TradingStateChanged,
)
from tests.agents.oms.harness import ALPHA, BRAVO, Desk, alpha_fill, alpha_order
from tests.factories import T0, cancel, replace, submit

D = Decimal


def test_accept_stamps_arrival_mid_and_a_deterministic_order_id() -> None:
    desk = Desk()
    accepted = alpha_order(desk)
    assert accepted.order_id == "ACC-1-1"
    assert accepted.arrival_mid == D("100.00")
    assert accepted.ts_command == accepted.ts_event == T0
    second = alpha_order(desk, "C-2")
    assert second.order_id == "ACC-1-2"
    order = desk.book().orders["ACC-1-1"]
    assert (order.status, order.leaves_qty, order.cum_qty) == (t.NEW, D(10), D(0))
    [approved] = desk.routed_records()[:1]
    assert isinstance(approved, RiskDecision)
    assert approved.approved


@pytest.mark.parametrize(
    ("fields", "rule", "limit", "observed"),
    [
        (
            {"instrument": "synthetic:NOPE"},
            "unknown_instrument",
            "a known instrument",
            "synthetic:NOPE",
        ),
        ({"limit_price": "100.005"}, "tick_size", "0.01", "100.005"),
        (
            {"instrument": "synthetic:CHARLIE", "qty": "15", "limit_price": "50"},
            "lot_size",
            "10",
            "15",
        ),
    ],
)
def test_validation_rejects_name_rule_limit_and_observed(
    fields: dict[str, str], rule: str, limit: str, observed: str
) -> None:
    desk = Desk()
    data = {"instrument": ALPHA, "limit_price": "100", **fields}
    [rejected] = desk.send(submit(**data))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.rule, rejected.limit, rejected.observed) == (rule, limit, observed)
    assert desk.book().rejected == 1
    assert "C-1" in desk.book().used_cl_ord_ids


def test_risk_rejection_is_recorded_with_its_decision() -> None:
    desk = Desk(limits=RiskLimits(default_account=AccountLimits(max_order_qty=D(5))))
    rejected, denied = desk.send(submit(instrument=ALPHA, limit_price="100", qty="6"))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.rule, rejected.limit, rejected.observed) == ("max_order_qty", "5", "6")
    assert isinstance(denied, RiskDecision)
    assert not denied.approved
    assert denied.rule == "max_order_qty"
    assert desk.routed[-1].topic == "risk.decisions"


def test_no_reference_price_rejects_a_limit_order() -> None:
    desk = Desk()
    rejected = desk.send(submit(instrument=BRAVO, limit_price="10"))[0]
    assert isinstance(rejected, OrderRejected)
    assert rejected.rule == "price_collar"
    assert rejected.observed == "no reference price"


def test_duplicate_cl_ord_id_is_rejected_and_never_applied_twice() -> None:
    desk = Desk()
    alpha_order(desk)
    dup = desk.send(submit(instrument=ALPHA, limit_price="100", qty="10"))[0]
    assert isinstance(dup, OrderRejected)
    assert dup.rule == "duplicate_cl_ord_id"
    assert len(desk.book().orders) == 1
    # A ClOrdID stays used after its order is gone, and a refused request's id is used too.
    desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))
    assert isinstance(desk.send(submit(cl_ord_id="C-1", instrument=ALPHA))[0], OrderRejected)
    assert isinstance(desk.send(submit(cl_ord_id="X-1", instrument=ALPHA))[0], OrderRejected)


def test_partial_then_full_fill_keeps_cum_leaves_and_avg_px() -> None:
    desk = Desk()
    alpha_order(desk)
    part = desk.send(alpha_fill("E-1", "4", "99"))[0]
    assert isinstance(part, OrderPartiallyFilled)
    assert (part.last_qty, part.cum_qty, part.leaves_qty, part.avg_px) == (D(4), D(4), D(6), D(99))
    full = desk.send(alpha_fill("E-2", "6", "101.5"))[0]
    assert isinstance(full, OrderFilled)
    assert (full.cum_qty, full.leaves_qty) == (D(10), D(0))
    assert full.avg_px == (D(4) * D(99) + D(6) * D("101.5")) / D(10)
    book = desk.book()
    assert book.orders == {}
    assert "C-1" not in book.live_ids
    assert book.holdings[ALPHA].position == D(10)
    assert book.holdings[ALPHA].buy_qty == D(0)
    assert book.holdings[ALPHA].buy_notional == D(0)
    assert book.filled == 1


def test_duplicate_exec_id_is_ignored() -> None:
    desk = Desk()
    alpha_order(desk)
    desk.send(alpha_fill("E-1", "4"))
    assert desk.send(alpha_fill("E-1", "4")) == []
    assert desk.book().orders["ACC-1-1"].cum_qty == D(4)
    assert desk.book().holdings[ALPHA].position == D(4)


def test_overfill_records_up_to_leaves_and_raises_an_alert() -> None:
    desk = Desk()
    alpha_order(desk, qty="5")
    filled, flagged = desk.send(alpha_fill("E-1", "7"))
    assert isinstance(filled, OrderFilled)
    assert (filled.last_qty, filled.cum_qty, filled.leaves_qty) == (D(5), D(5), D(0))
    assert isinstance(flagged, ComplianceAlert)
    assert flagged.rule == "overfill"
    assert flagged.evidence == ("fill:ACC-1:E-1",)
    assert desk.routed[-1].topic == "compliance.alerts"


@pytest.mark.parametrize("cl_ord_id", [None, "NOPE"])
def test_fill_for_a_missing_or_unknown_order_only_alerts(cl_ord_id: str | None) -> None:
    desk = Desk()
    alpha_order(desk)
    [flagged] = desk.send(alpha_fill("E-9", "1", cl_ord_id=cl_ord_id))
    assert isinstance(flagged, ComplianceAlert)
    assert flagged.rule == "unknown_order_fill"
    assert desk.book().orders["ACC-1-1"].cum_qty == D(0)


def test_fill_for_a_closed_order_only_alerts() -> None:
    desk = Desk()
    alpha_order(desk)
    desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))
    [flagged] = desk.send(alpha_fill("E-1", "1"))
    assert isinstance(flagged, ComplianceAlert)
    assert "names no live order" in flagged.detail


def test_fill_on_the_wrong_side_is_not_applied() -> None:
    desk = Desk()
    alpha_order(desk)
    [flagged] = desk.send(alpha_fill("E-1", "1", side="sell"))
    assert isinstance(flagged, ComplianceAlert)
    assert flagged.rule == "fill_mismatch"


def test_cancel_of_a_live_order_is_immediate() -> None:
    desk = Desk()
    alpha_order(desk)
    desk.send(alpha_fill("E-1", "3"))
    [canceled] = desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))
    assert isinstance(canceled, OrderCanceled)
    assert (canceled.cl_ord_id, canceled.cancel_cl_ord_id, canceled.cum_qty) == ("C-1", "X-1", D(3))
    book = desk.book()
    assert book.orders == {}
    assert book.holdings[ALPHA].buy_qty == D(0)
    assert {"C-1", "X-1"} <= book.used_cl_ord_ids


@pytest.mark.parametrize(
    ("orig", "reason"),
    [("NOPE", "unknown order"), ("C-1", "closed")],
)
def test_cancel_and_replace_of_unknown_or_terminal_orders_are_rejected(
    orig: str, reason: str
) -> None:
    desk = Desk()
    alpha_order(desk, qty="2")
    desk.send(alpha_fill("E-1", "2"))  # C-1 is now Filled, terminal
    [refused] = desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id=orig))
    assert isinstance(refused, OrderCancelRejected)
    assert reason in refused.reason
    refused_replace = desk.send(replace(cl_ord_id="X-2", orig_cl_ord_id=orig, qty="3"))[0]
    assert isinstance(refused_replace, OrderReplaceRejected)
    assert reason in refused_replace.reason


def test_cancel_with_a_duplicate_cl_ord_id_is_rejected() -> None:
    desk = Desk()
    alpha_order(desk)
    [refused] = desk.send(cancel(cl_ord_id="C-1", orig_cl_ord_id="C-1"))
    assert isinstance(refused, OrderCancelRejected)
    assert "duplicate" in refused.reason
    assert "ACC-1-1" in desk.book().orders


def test_replace_chain_and_fills_by_any_earlier_cl_ord_id() -> None:
    desk = Desk()
    alpha_order(desk)
    replaced = desk.send(
        replace(cl_ord_id="C-2", orig_cl_ord_id="C-1", qty="12", limit_price="100.5")
    )[0]
    assert isinstance(replaced, OrderReplaced)
    assert (replaced.orig_cl_ord_id, replaced.qty, replaced.leaves_qty) == ("C-1", D(12), D(12))
    # The venue may still name the old id on a fill.
    part = desk.send(alpha_fill("E-1", "2", cl_ord_id="C-1"))[0]
    assert isinstance(part, OrderPartiallyFilled)
    assert part.cl_ord_id == "C-2"
    # A cancel must name the current id.
    stale = desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))[0]
    assert isinstance(stale, OrderCancelRejected)
    assert "current ClOrdID is 'C-2'" in stale.reason
    order = desk.book().orders["ACC-1-1"]
    assert (order.qty, order.limit_price, order.leaves_qty) == (D(12), D("100.5"), D(10))
    assert desk.book().holdings[ALPHA].buy_notional == D(10) * D("100.5")


def test_replace_to_the_executed_quantity_fills_the_order() -> None:
    desk = Desk()
    alpha_order(desk)
    desk.send(alpha_fill("E-1", "4"))
    below = desk.send(replace(cl_ord_id="C-2", orig_cl_ord_id="C-1", qty="3", limit_price="100"))[0]
    assert isinstance(below, OrderReplaceRejected)
    assert "below the executed" in below.reason
    done = desk.send(replace(cl_ord_id="C-3", orig_cl_ord_id="C-1", qty="4", limit_price="100"))[0]
    assert isinstance(done, OrderReplaced)
    assert done.leaves_qty == D(0)
    assert desk.book().orders == {}
    assert desk.book().filled == 1


def test_replace_is_risk_checked_on_its_new_terms() -> None:
    limits = RiskLimits(default_account=AccountLimits(max_order_qty=D(10)))
    desk = Desk(limits=limits)
    alpha_order(desk)
    refused = desk.send(replace(cl_ord_id="C-2", orig_cl_ord_id="C-1", qty="11"))[0]
    assert isinstance(refused, OrderReplaceRejected)
    assert refused.reason.startswith("max_order_qty")
    collar = desk.send(replace(cl_ord_id="C-3", orig_cl_ord_id="C-1", qty="5", limit_price="150"))
    assert isinstance(collar[0], OrderReplaceRejected)
    assert "price_collar" in collar[0].reason


def test_exec_canceled_becomes_canceled_or_expired() -> None:
    desk = Desk()
    alpha_order(desk)
    alpha_order(desk, "C-2")
    report = {"account": "ACC-1", "instrument": ALPHA, "canceled_qty": "10", "reason": "IOC"}
    canceled = desk.send(ExecCanceled(cl_ord_id="C-1", order_id="ACC-1-1", ts_event=T0, **report))
    assert isinstance(canceled[0], OrderCanceled)
    assert canceled[0].cancel_cl_ord_id is None
    expired = desk.send(
        ExecCanceled(cl_ord_id="C-2", order_id="ACC-1-2", expired=True, ts_event=T0, **report)
    )
    assert isinstance(expired[0], OrderExpired)
    assert desk.book().orders == {}
    assert desk.book().expired == 1
    again = ExecCanceled(cl_ord_id="C-2", order_id="ACC-1-2", ts_event=T0, **report)
    assert desk.send(again) == []


def test_kill_switch_halts_and_cancels_every_live_order() -> None:
    desk = Desk()
    for number in range(1, 4):
        alpha_order(desk, f"C-{number}")
    events = desk.send(
        KillSwitch(account="ACC-1", reason="runaway", requested_by="ops", ts_event=T0)
    )
    assert isinstance(events[0], TradingStateChanged)
    assert events[0].state == "HALTED"
    assert [e.order_id for e in events[1:] if isinstance(e, OrderCanceled)] == [
        "ACC-1-1",
        "ACC-1-2",
        "ACC-1-3",
    ]
    assert desk.book().orders == {}
    halted = desk.send(submit(cl_ord_id="C-9", instrument=ALPHA, limit_price="100"))[0]
    assert isinstance(halted, OrderRejected)
    assert halted.rule == "trading_state"


def test_reducing_accepts_only_orders_that_shrink_the_position() -> None:
    desk = Desk()
    alpha_order(desk)
    desk.send(alpha_fill("E-1", "10"))
    desk.send(SetTradingState(account="ACC-1", state="REDUCING", reason="drawdown", ts_event=T0))
    more = desk.send(submit(cl_ord_id="C-2", instrument=ALPHA, limit_price="100", qty="1"))[0]
    assert isinstance(more, OrderRejected)
    assert more.rule == "trading_state"
    less = desk.send(
        submit(cl_ord_id="C-3", instrument=ALPHA, limit_price="100", qty="4", side="sell")
    )[0]
    assert isinstance(less, OrderAccepted)
    flip = desk.send(
        submit(cl_ord_id="C-4", instrument=ALPHA, limit_price="100", qty="7", side="sell")
    )[0]
    assert isinstance(flip, OrderRejected)  # 4 working + 7 would flip the long 10


def test_message_rate_counts_every_message_and_rolls() -> None:
    desk = Desk(limits=RiskLimits(default_account=AccountLimits(max_messages_per_second=3)))
    second = 1_000_000_000
    alpha_order(desk, "C-1", ts_event=T0)
    desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="NOPE", ts_event=T0 + 1))  # refused, counts
    alpha_order(desk, "C-2", ts_event=T0 + 2)
    throttled = desk.send(
        submit(cl_ord_id="C-3", instrument=ALPHA, limit_price="100", ts_event=T0 + 3)
    )[0]
    assert isinstance(throttled, OrderRejected)
    assert (throttled.rule, throttled.limit, throttled.observed) == ("message_rate", "3", "4")
    # (T0, T0 + 1s] still holds X-1, C-2 and the refused C-3: refused messages count too.
    edge = desk.send(
        submit(cl_ord_id="C-4", instrument=ALPHA, limit_price="100", ts_event=T0 + second)
    )[0]
    assert isinstance(edge, OrderRejected)
    assert edge.rule == "message_rate"
    ok = desk.send(
        submit(cl_ord_id="C-5", instrument=ALPHA, limit_price="100", ts_event=T0 + 2 * second)
    )[0]
    assert isinstance(ok, OrderAccepted)
    assert desk.book().message_ts == [T0 + 2 * second]


def test_cancels_count_toward_the_message_rate_but_are_never_throttled() -> None:
    desk = Desk(limits=RiskLimits(default_account=AccountLimits(max_messages_per_second=3)))
    alpha_order(desk, "C-1")
    alpha_order(desk, "C-2")
    desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-1"))
    throttled = desk.send(submit(cl_ord_id="C-3", instrument=ALPHA, limit_price="100"))[0]
    assert isinstance(throttled, OrderRejected)
    assert (throttled.rule, throttled.observed) == ("message_rate", "4")
    canceled = desk.send(cancel(cl_ord_id="X-2", orig_cl_ord_id="C-2"))[0]
    assert isinstance(canceled, OrderCanceled)
    assert len(desk.book().message_ts) == 5

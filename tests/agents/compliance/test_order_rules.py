"""Hand vectors for the rules order events trigger: spoofing, cancel ratio, message rate."""

from __future__ import annotations

from decimal import Decimal

from agents.compliance.config import SurveillanceConfig
from agents.compliance.order_rules import median
from schemas import OrderCanceled, OrderExpired
from tests.agents.compliance.support import (
    ALPHA,
    MS,
    SECOND,
    T0,
    D,
    FlowBuilder,
    alerts_of,
    run_watch,
)

MID = D(100)


def _layering(
    *,
    large_qty: str = "30",
    large_price: str = "99.90",
    fill_at_ms: int = 500,
    cancel_at_ms: int = 5000,
    small_orders: int = 5,
) -> tuple[FlowBuilder, tuple[str, str, str]]:
    flow = FlowBuilder()
    ts = T0
    for size in range(small_orders):
        flow.accept("A", ALPHA, "buy", D(1 + size % 3), D(90), MID, ts)  # sizes 1,2,3,1,2
        ts += SECOND
    large, accepted = flow.accept("A", ALPHA, "buy", D(large_qty), D(large_price), MID, ts)
    bait, _ = flow.accept("A", ALPHA, "sell", D(1), D("100.01"), MID, ts + MS)
    opposite = flow.fill(bait, D(1), D("100.01"), ts + fill_at_ms * MS)
    canceled = flow.cancel(large, ts + cancel_at_ms * MS)
    return flow, (accepted, opposite, canceled)


def test_large_order_near_the_touch_canceled_after_an_opposite_fill_is_spoofing() -> None:
    flow, evidence = _layering()  # median 2 -> 10 x = 20 <= 30; 10 bps from the mid
    [alert] = alerts_of(flow)
    assert (alert.rule, alert.account, alert.instrument) == ("spoofing", "A", ALPHA)
    assert (
        alert.evidence
        == evidence
        == (
            "order_accepted:A:A-C6",
            "fill:A:A-X1",
            "order_canceled:A:A-C8",
        )
    )
    assert alert.alert_id == "spoofing:A:order_accepted:A:A-C6"
    assert alert.window_end_ts - alert.window_start_ts == 5 * SECOND


def test_no_spoofing_when_any_leg_is_missing() -> None:
    assert alerts_of(_layering(large_qty="19")[0]) == []  # under 10 x the median
    assert alerts_of(_layering(large_price="99.89")[0]) == []  # 11 bps from the mid
    assert alerts_of(_layering(cancel_at_ms=5001)[0]) == []  # canceled too late
    assert alerts_of(_layering(small_orders=4)[0]) == []  # too few orders for a median


def test_a_fill_after_the_cancel_does_not_count() -> None:
    flow, _ = _layering(fill_at_ms=4000, cancel_at_ms=3000)
    assert alerts_of(flow) == []


def test_a_configured_size_makes_an_order_large_without_a_median() -> None:
    config = SurveillanceConfig(spoof_large_qty=D(25))
    flow, evidence = _layering(small_orders=0)
    [alert] = alerts_of(flow, config)
    assert alert.evidence == evidence


def test_a_venue_cancel_is_not_the_accounts_cancel() -> None:
    flow, _ = _layering()
    records = [r for _, r in flow.sorted_events()]
    cancel = records[-1]
    assert isinstance(cancel, OrderCanceled)
    venue = cancel.model_copy(update={"cancel_cl_ord_id": None})
    _, out = run_watch([*records[:-1], venue])
    assert out == []


def test_an_expired_large_order_leaves_memory() -> None:
    flow, _ = _layering()
    records = [r for _, r in flow.sorted_events()]
    cancel = records[-1]
    assert isinstance(cancel, OrderCanceled)
    expired = OrderExpired(
        account=cancel.account,
        cl_ord_id=cancel.cl_ord_id,
        order_id=cancel.order_id,
        instrument=cancel.instrument,
        cum_qty=D(0),
        ts_event=cancel.ts_event - 1,
    )
    watch, out = run_watch([*records[:-1], expired, cancel])
    assert out == []
    assert watch.large_orders == {}


def test_median_of_odd_and_even_samples() -> None:
    assert median([D(1), D(2), D(7)]) == D(2)
    assert median([D(1), D(2), D(3), D(7)]) == Decimal("2.5")


def _cancels(count: int, fills: int, spacing_ms: int = 1000) -> FlowBuilder:
    flow = FlowBuilder()
    ts = T0
    for index in range(count):
        order, _ = flow.accept("A", ALPHA, "buy", D(5), D(90), MID, ts)
        if index < fills:
            flow.fill(order, D(1), D(90) - index, ts + MS)  # prices apart: no wash
        flow.cancel(order, ts + 2 * MS)
        ts += spacing_ms * MS
    return flow


def test_a_high_cancel_to_fill_ratio_is_alerted_once_per_window() -> None:
    [alert] = alerts_of(_cancels(count=25, fills=1))
    assert alert.rule == "cancel_to_fill_ratio"
    assert alert.instrument is None
    assert alert.evidence[0] == "order_canceled:A:A-C2"
    assert "fill:A:A-X1" in alert.evidence
    assert alert.detail.startswith("20 cancels and 1 fills within 60000 ms")


def test_no_ratio_alert_at_the_threshold_or_spread_out() -> None:
    assert alerts_of(_cancels(count=20, fills=2)) == []  # 20 is not > 10 x 2
    assert alerts_of(_cancels(count=19, fills=0)) == []  # fewer than 20 cancels
    assert alerts_of(_cancels(count=30, fills=0, spacing_ms=3200)) == []  # < 20 per minute


def _burst(count: int, spacing_ms: int) -> FlowBuilder:
    flow = FlowBuilder()
    for index in range(count):
        flow.accept("A", ALPHA, "buy", D(1), D(90), MID, T0 + index * spacing_ms * MS)
    return flow


def test_more_messages_in_a_second_than_allowed_is_one_alert() -> None:
    config = SurveillanceConfig(max_messages_per_second=20)
    [alert] = alerts_of(_burst(30, 10), config)
    assert alert.rule == "message_rate"
    assert alert.evidence[0] == "order_accepted:A:A-C1"
    assert len(alert.evidence) == 21
    assert (alert.window_start_ts, alert.window_end_ts) == (T0, T0 + 200 * MS)


def test_the_limit_itself_and_a_slower_pace_are_fine() -> None:
    config = SurveillanceConfig(max_messages_per_second=20)
    assert alerts_of(_burst(20, 1), config) == []
    assert alerts_of(_burst(100, 50), config) == []  # exactly 20 per rolling second


def test_a_long_breach_is_alerted_once_per_second() -> None:
    config = SurveillanceConfig(max_messages_per_second=20)
    alerts = alerts_of(_burst(250, 10), config)  # 2.5 s at 100 per second
    assert [a.window_end_ts - T0 for a in alerts] == [200 * MS, 1200 * MS, 2200 * MS]
    assert len({a.alert_id for a in alerts}) == 3

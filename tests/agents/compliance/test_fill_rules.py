"""Hand vectors for the rules a fill triggers: restricted list, position limit, wash."""

from __future__ import annotations

from agents.compliance.config import SurveillanceConfig
from schemas import Fill
from tests.agents.compliance.support import (
    ALPHA,
    BANNED,
    CAPPED,
    MS,
    SECOND,
    T0,
    D,
    FlowBuilder,
    alerts_of,
    run_watch,
)


def test_a_fill_on_the_restricted_list_is_alerted_with_its_id() -> None:
    flow = FlowBuilder()
    order, _ = flow.accept("A", BANNED, "buy", D(3), D(10), D(10), T0)
    fill = flow.fill(order, D(3), D(10), T0 + MS)
    [alert] = alerts_of(flow)
    assert (alert.rule, alert.account, alert.instrument) == ("restricted_instrument", "A", BANNED)
    assert alert.evidence == (fill,) == ("fill:A:A-X1",)
    assert alert.alert_id == "restricted_instrument:A:fill:A:A-X1"
    assert (alert.window_start_ts, alert.window_end_ts, alert.ts_event) == (T0 + MS,) * 3


def test_position_limit_alerts_the_fill_that_crosses_it_and_the_ones_that_grow_it() -> None:
    flow = FlowBuilder()
    order, _ = flow.accept("A", CAPPED, "buy", D(20), D(5), D(5), T0)
    flow.fill(order, D(10), D(5), T0 + 1)  # exactly at the limit: no breach
    crossing = flow.fill(order, D(2), D(5), T0 + 2)
    growing = flow.fill(order, D(1), D(5), T0 + 3)
    seller, _ = flow.accept("A", CAPPED, "sell", D(20), D(6), D(5), T0 + 4)
    flow.fill(seller, D(1), D(6), T0 + 5)  # 13 -> 12: reducing, still over, no new breach
    alerts = alerts_of(flow)
    assert [a.evidence for a in alerts] == [(crossing,), (growing,)]
    assert alerts[0].detail == "position 10 -> 12 after buy 2 @ 5; limit 10"


def test_a_short_position_breaches_too() -> None:
    flow = FlowBuilder()
    order, _ = flow.accept("A", CAPPED, "sell", D(11), D(5), D(5), T0)
    fill = flow.fill(order, D(11), D(5), T0 + 1)
    assert [a.evidence for a in alerts_of(flow)] == [(fill,)]


def test_a_repeated_exec_id_changes_nothing() -> None:
    flow = FlowBuilder()
    order, _ = flow.accept("A", CAPPED, "buy", D(8), D(5), D(5), T0)
    flow.fill(order, D(8), D(5), T0 + 1)
    records = [record for _, record in flow.sorted_events()]
    fills = [r for r in records if isinstance(r, Fill)]
    watch, out = run_watch([*records, fills[0], fills[0]])
    assert out == []
    assert watch.positions == {CAPPED: D(8)}


def test_a_fill_for_an_unknown_order_is_left_to_the_oms() -> None:
    """The OMS alerts unknown_order_fill; compliance raises nothing of its own for it."""
    stray = Fill(
        exec_id="X-9",
        account="A",  # type: ignore[arg-type]
        instrument=ALPHA,  # type: ignore[arg-type]
        side="buy",
        qty=D(1),
        price=D(100),
        fee=D(0),
        fee_currency="USD",
        cl_ord_id="nobody",  # type: ignore[arg-type]
        ts_event=T0,
    )
    watch, out = run_watch([stray])
    assert out == []
    assert watch.positions == {ALPHA: D(1)}


def _pair(sell_qty: str, sell_price: str, gap_ns: int, sell_side: str = "sell") -> FlowBuilder:
    flow = FlowBuilder()
    buy, _ = flow.accept("A", ALPHA, "buy", D(100), D(100), D(100), T0)
    flow.fill(buy, D(100), D(100), T0)
    other, _ = flow.accept("A", ALPHA, sell_side, D(sell_qty), D(sell_price), D(100), T0 + gap_ns)  # type: ignore[arg-type]
    flow.fill(other, D(sell_qty), D(sell_price), T0 + gap_ns)
    return flow


def test_a_buy_and_a_sell_alike_within_the_window_is_a_wash_trade() -> None:
    [alert] = alerts_of(_pair("90", "100.10", 59 * SECOND))  # 10% size, 10 bps: the edges
    assert alert.rule == "wash_trade"
    assert alert.evidence == ("fill:A:A-X1", "fill:A:A-X2")
    assert alert.alert_id == "wash_trade:A:fill:A:A-X1"
    assert (alert.window_start_ts, alert.window_end_ts) == (T0, T0 + 59 * SECOND)


def test_no_wash_trade_when_price_size_time_or_side_differ() -> None:
    assert alerts_of(_pair("89", "100", SECOND)) == []  # size 11% apart
    assert alerts_of(_pair("100", "100.11", SECOND)) == []  # 11 bps apart
    assert alerts_of(_pair("100", "100", 60 * SECOND)) == []  # the window is 60 s, open
    assert alerts_of(_pair("100", "100", SECOND, sell_side="buy")) == []


def test_a_fill_pairs_once_buy_sell_buy_is_one_wash() -> None:
    flow = _pair("100", "100", SECOND)
    again, _ = flow.accept("A", ALPHA, "buy", D(100), D(100), D(100), T0 + 2 * SECOND)
    flow.fill(again, D(100), D(100), T0 + 2 * SECOND)
    assert [a.evidence for a in alerts_of(flow)] == [("fill:A:A-X1", "fill:A:A-X2")]


def test_thresholds_come_from_the_config() -> None:
    config = SurveillanceConfig(wash_price_bps=D(20), wash_window_ms=120_000)
    assert len(alerts_of(_pair("100", "100.15", 90 * SECOND), config)) == 1

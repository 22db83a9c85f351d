"""Rules a fill (``exec.reports``) triggers: restricted list, position limit, wash trade.

A fill also feeds two order rules: it is the opposite-side fill a spoofing candidate
waits for, and it counts in the cancel-to-fill ratio.

Fills come from ``exec.reports`` rather than the OMS's OrderFilled events so the checks
see every fill the positions table counts, matched to an order or not. A fill the OMS
could not match is alerted by the OMS itself (``unknown_order_fill``); it is not raised
again here, but it still moves the position and can still breach a limit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agents.compliance.config import SurveillanceConfig
from agents.compliance.evidence import (
    POSITION_LIMIT,
    RESTRICTED_INSTRUMENT,
    WASH_TRADE,
    fill_id,
    make_alert,
    text,
)
from agents.compliance.state import ZERO, AccountWatch, Stamp, WashLeg, cut_before
from agents.risk.limits import RiskLimits
from schemas import ComplianceAlert

MS = 1_000_000
BPS = Decimal(10_000)
PERCENT = Decimal(100)


def seen_before(watch: AccountWatch, fill: Any, config: SurveillanceConfig) -> bool:
    """True for a repeated ExecID; remembers new ones for ``dedup_window_ms``."""
    exec_ids = watch.exec_ids
    if fill.exec_id in exec_ids:
        return True
    log = watch.exec_log
    if log and log[0].ts < watch.clock - config.dedup_window_ms * MS:
        oldest = watch.clock - config.dedup_window_ms * MS
        count = 0
        for stamp in log:
            if stamp.ts >= oldest:
                break
            exec_ids.discard(stamp.event)
            count += 1
        del log[:count]
    exec_ids.add(fill.exec_id)
    log.append(Stamp(fill.ts_event, fill.exec_id))
    return False


def check_restricted(limits: RiskLimits, fill: Any, evidence: str) -> ComplianceAlert | None:
    if fill.instrument not in limits.for_account(fill.account).restricted:
        return None
    return make_alert(
        RESTRICTED_INSTRUMENT,
        fill.account,
        fill.instrument,
        (fill.ts_event, fill.ts_event),
        (evidence,),
        f"{fill.side} {text(fill.qty)} {fill.instrument} @ {text(fill.price)}: "
        "the instrument is on the restricted list",
        fill.ts_event,
    )


def apply_position(
    watch: AccountWatch, limits: RiskLimits, fill: Any, evidence: str
) -> ComplianceAlert | None:
    """Move the position; alert when the fill takes it (further) beyond its limit.

    A fill that reduces an oversized position is not a new breach, so it raises nothing.
    """
    instrument = fill.instrument
    before = watch.positions.get(instrument, ZERO)
    after = before + fill.qty if fill.side == "buy" else before - fill.qty
    if after:
        watch.positions[instrument] = after
    else:
        watch.positions.pop(instrument, None)
    limit = limits.for_instrument(instrument).position_limit
    if limit is None or abs(after) <= limit or abs(after) <= abs(before):
        return None
    return make_alert(
        POSITION_LIMIT,
        fill.account,
        instrument,
        (fill.ts_event, fill.ts_event),
        (evidence,),
        f"position {text(before)} -> {text(after)} after {fill.side} {text(fill.qty)} "
        f"@ {text(fill.price)}; limit {text(limit)}",
        fill.ts_event,
    )


def _similar(leg: WashLeg, fill: Any, config: SurveillanceConfig) -> bool:
    if leg.side == fill.side:
        return False
    if abs(fill.price - leg.price) * BPS > config.wash_price_bps * leg.price:
        return False
    return bool(abs(fill.qty - leg.qty) * PERCENT <= config.wash_size_pct * max(fill.qty, leg.qty))


def check_wash(
    watch: AccountWatch, fill: Any, evidence: str, config: SurveillanceConfig
) -> ComplianceAlert | None:
    """Pair the fill with the newest similar opposite fill of the window, or keep it.

    A paired fill is consumed, so each fill is evidence in at most one wash alert and
    a buy-sell-buy sequence raises one alert, not two. The scan covers the unpaired
    fills of one instrument inside the window only.
    """
    window_ns = config.wash_window_ms * MS
    legs = watch.wash_legs.get(fill.instrument)
    if legs is None:
        legs = watch.wash_legs[fill.instrument] = []
    elif legs:
        cut_before(legs, watch.clock - window_ns + 1)
    for index in range(len(legs) - 1, -1, -1):
        leg = legs[index]
        if abs(fill.ts_event - leg.ts) < window_ns and _similar(leg, fill, config):
            del legs[index]
            first, second = (
                (leg.event, evidence) if leg.ts <= fill.ts_event else (evidence, leg.event)
            )
            return make_alert(
                WASH_TRADE,
                fill.account,
                fill.instrument,
                (min(leg.ts, fill.ts_event), max(leg.ts, fill.ts_event)),
                (first, second),
                f"{leg.side} {text(leg.qty)} @ {text(leg.price)} and {fill.side} "
                f"{text(fill.qty)} @ {text(fill.price)} within "
                f"{abs(fill.ts_event - leg.ts) // MS} ms",
                fill.ts_event,
            )
    legs.append(WashLeg(fill.ts_event, fill.side, fill.qty, fill.price, evidence))
    return None


def note_opposite_fill(watch: AccountWatch, fill: Any, evidence: str, max_evidence: int) -> None:
    """Record the fill on every resting spoofing candidate of the other side."""
    for order in watch.large_orders.values():
        if (
            order.instrument == fill.instrument
            and order.side != fill.side
            and fill.ts_event >= order.accept_ts
            and len(order.opposite_fills) < max_evidence
        ):
            order.opposite_fills.append(evidence)


def on_fill(
    watch: AccountWatch, fill: Any, limits: RiskLimits, config: SurveillanceConfig
) -> list[ComplianceAlert]:
    if seen_before(watch, fill, config):
        return []
    evidence = fill_id(fill)
    alerts = [
        alert
        for alert in (
            check_restricted(limits, fill, evidence),
            apply_position(watch, limits, fill, evidence),
            check_wash(watch, fill, evidence, config),
        )
        if alert is not None
    ]
    if watch.large_orders:
        note_opposite_fill(watch, fill, evidence, config.max_evidence)
    watch.fills.append(Stamp(fill.ts_event, evidence))
    return alerts

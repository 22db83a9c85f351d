"""Rules order events (``orders.events``) trigger: spoofing / layering, cancel-to-fill
ratio, message rate.

Spoofing: an order is a candidate when it is *large* (at least ``spoof_large_qty``, or at
least ``spoof_large_multiple`` x the median size of the account's previous
``spoof_median_orders`` orders once ``spoof_min_orders`` have been seen) and *near the
touch* (a DAY/GTC limit order whose limit is within ``spoof_near_touch_bps`` of the
``arrival_mid`` the OMS stamped on it). The alert fires when the account cancels it
within ``spoof_cancel_within_ms`` of its acceptance after at least one fill on the other
side of the same instrument arrived while it rested. Candidates leave memory when they
are filled, expire, are canceled or grow too old to qualify.

Messages: the events that answer a client request (accepted, rejected, replaced,
canceled on request, cancel/replace rejected); venue-side events (fills, expiries, an
IOC's remainder) are not the account's messages.
"""

from __future__ import annotations

import bisect
from decimal import Decimal
from typing import Any, Final

from agents.compliance.config import SurveillanceConfig
from agents.compliance.evidence import (
    CANCEL_TO_FILL_RATIO,
    MESSAGE_RATE,
    SPOOFING,
    make_alert,
    request_id,
    text,
)
from agents.compliance.state import AccountWatch, LargeOrder, Stamp, cut_before
from schemas import ComplianceAlert

MS: Final = 1_000_000
SECOND: Final = 1_000_000_000
BPS: Final = Decimal(10_000)
TWO: Final = Decimal(2)

MESSAGE_KINDS: Final = frozenset(
    {
        "order_accepted",
        "order_rejected",
        "order_replaced",
        "order_cancel_rejected",
        "order_replace_rejected",
    }
)
"""Client messages; ``order_canceled`` counts only when a cancel request caused it."""


def median(sorted_sizes: list[Decimal]) -> Decimal:
    count = len(sorted_sizes)
    middle = count // 2
    if count % 2:
        return sorted_sizes[middle]
    return (sorted_sizes[middle - 1] + sorted_sizes[middle]) / TWO


def _is_large(watch: AccountWatch, qty: Decimal, config: SurveillanceConfig) -> bool:
    if config.spoof_large_qty is not None and qty >= config.spoof_large_qty:
        return True
    sizes = watch.sorted_sizes
    return len(sizes) >= config.spoof_min_orders and qty >= config.spoof_large_multiple * median(
        sizes
    )


def _remember_size(watch: AccountWatch, qty: Decimal, config: SurveillanceConfig) -> None:
    watch.order_sizes.append(qty)
    bisect.insort(watch.sorted_sizes, qty)
    if len(watch.order_sizes) > config.spoof_median_orders:
        oldest = watch.order_sizes.pop(0)
        del watch.sorted_sizes[bisect.bisect_left(watch.sorted_sizes, oldest)]


def _near_touch(order: Any, config: SurveillanceConfig) -> bool:
    mid, limit = order.arrival_mid, order.limit_price
    if order.order_type != "limit" or order.tif == "IOC" or mid is None or limit is None:
        return False
    return bool(abs(limit - mid) * BPS <= config.spoof_near_touch_bps * mid)


def on_accepted(
    watch: AccountWatch, order: Any, config: SurveillanceConfig
) -> ComplianceAlert | None:
    """Count the message; judge the order's size against the sizes before it."""
    candidate = _is_large(watch, order.qty, config) and _near_touch(order, config)
    _remember_size(watch, order.qty, config)
    if candidate:
        watch.large_orders[order.order_id] = LargeOrder(
            order_id=order.order_id,
            instrument=order.instrument,
            side=order.side,
            qty=order.qty,
            limit_price=order.limit_price,
            arrival_mid=order.arrival_mid,
            accept_ts=order.ts_event,
            accepted_event=request_id(order),
        )
        watch.large_queue.append(Stamp(order.ts_event, order.order_id))
    return count_message(watch, order, config)


def forget_stale_candidates(watch: AccountWatch, config: SurveillanceConfig) -> None:
    """Drop candidates accepted longer ago than a qualifying cancel could follow."""
    queue = watch.large_queue
    oldest = watch.clock - config.spoof_cancel_within_ms * MS
    if not queue or queue[0].ts >= oldest:
        return
    count = 0
    for stamp in queue:
        if stamp.ts >= oldest:
            break
        watch.large_orders.pop(stamp.event, None)
        count += 1
    del queue[:count]


def on_canceled(
    watch: AccountWatch, event: Any, config: SurveillanceConfig
) -> list[ComplianceAlert]:
    candidate = watch.large_orders.pop(event.order_id, None)
    if event.cancel_cl_ord_id is None:
        return []  # the venue or the OMS canceled it, not the account
    alerts: list[ComplianceAlert] = []
    evidence = request_id(event)
    if (
        candidate is not None
        and candidate.opposite_fills
        and event.ts_event - candidate.accept_ts <= config.spoof_cancel_within_ms * MS
    ):
        alerts.append(_spoofing_alert(candidate, event, evidence))
    watch.cancels.append(Stamp(event.ts_event, evidence))
    ratio = check_cancel_ratio(watch, event.ts_event, config)
    if ratio is not None:
        alerts.append(ratio)
    rate = count_message(watch, event, config)
    if rate is not None:
        alerts.append(rate)
    return alerts


def _spoofing_alert(order: LargeOrder, cancel: Any, evidence: str) -> ComplianceAlert:
    fills = order.opposite_fills
    return make_alert(
        SPOOFING,
        cancel.account,
        order.instrument,
        (order.accept_ts, cancel.ts_event),
        (order.accepted_event, *fills, evidence),
        f"{order.side} {text(order.qty)} @ {text(order.limit_price)} resting near the "
        f"touch (arrival mid {text(order.arrival_mid)}), {len(fills)} opposite fill(s), "
        f"canceled after {(cancel.ts_event - order.accept_ts) // MS} ms",
        cancel.ts_event,
    )


def check_cancel_ratio(
    watch: AccountWatch, ts_event: int, config: SurveillanceConfig
) -> ComplianceAlert | None:
    """Cancels against fills over the window; one alert per window at most."""
    oldest = watch.clock - config.cancel_ratio_window_ms * MS + 1
    cancels, fills = watch.cancels, watch.fills
    cut_before(cancels, oldest)
    cut_before(fills, oldest)
    if (
        len(cancels) < config.cancel_ratio_min_cancels
        or len(cancels) <= config.cancel_ratio_threshold * len(fills)
        or watch.clock < watch.ratio_quiet_until
    ):
        return None
    watch.ratio_quiet_until = watch.clock + config.cancel_ratio_window_ms * MS
    cap = config.max_evidence
    shown = cancels[:cap] + fills[: max(cap - len(cancels), 0)]
    return make_alert(
        CANCEL_TO_FILL_RATIO,
        watch.account,
        None,
        (min(stamp.ts for stamp in shown), watch.clock),
        tuple(stamp.event for stamp in shown),
        f"{len(cancels)} cancels and {len(fills)} fills within "
        f"{config.cancel_ratio_window_ms} ms (threshold: cancels > "
        f"{text(config.cancel_ratio_threshold)} x fills, at least "
        f"{config.cancel_ratio_min_cancels} cancels)",
        ts_event,
    )


def count_message(
    watch: AccountWatch, event: Any, config: SurveillanceConfig
) -> ComplianceAlert | None:
    """One client message; alert when the rolling second holds more than the limit."""
    window = watch.messages
    cut_before(window, watch.clock - SECOND + 1)
    window.append(Stamp(event.ts_event, request_id(event)))
    if len(window) <= config.max_messages_per_second or watch.clock < watch.rate_quiet_until:
        return None
    watch.rate_quiet_until = watch.clock + SECOND
    shown = window[: config.max_evidence]
    return make_alert(
        MESSAGE_RATE,
        watch.account,
        None,
        (min(stamp.ts for stamp in shown), watch.clock),
        tuple(stamp.event for stamp in shown),
        f"{len(window)} messages within one second (limit {config.max_messages_per_second})",
        event.ts_event,
    )

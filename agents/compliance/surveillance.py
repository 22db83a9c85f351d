"""The compliance agent's ``process``: one account's fills and order events in, alerts out.

Time is event time: the account's clock is the newest ``ts_event`` it has seen, and every
window is measured back from it (a record that arrives late still counts while it is
inside the window). Windows are cut when they are touched; a sweep every
``SWEEP_NS`` of event time cuts the ones that were not (an instrument that stopped
trading), so memory stays bounded by the windows' contents.

Not raised here: fills for orders the OMS does not know. The OMS already alerts those
(``unknown_order_fill``, ``fill_mismatch``, ``overfill`` on ``compliance.alerts``);
this agent would only duplicate them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from agents.compliance import fill_rules, order_rules
from agents.compliance.config import SurveillanceConfig
from agents.compliance.state import AccountWatch, cut_before
from agents.risk.limits import RiskLimits
from schemas import ComplianceAlert, Record
from schemas.view import View

MS: Final = 1_000_000
SWEEP_NS: Final = 60_000 * MS

FILL_KINDS: Final = frozenset({"fill"})
ORDER_KINDS: Final = frozenset(
    {
        "order_accepted",
        "order_rejected",
        "order_replaced",
        "order_canceled",
        "order_filled",
        "order_expired",
        "order_cancel_rejected",
        "order_replace_rejected",
    }
)
INPUT_KINDS: Final = FILL_KINDS | ORDER_KINDS

Alerts = list[ComplianceAlert]


class Surveillance:
    """The pure logic, configured once with the limits and the windows."""

    def __init__(self, limits: RiskLimits, config: SurveillanceConfig) -> None:
        self.limits = limits
        self.config = config
        self._handlers: dict[str, Callable[[AccountWatch, Any], Alerts]] = {
            "fill": self._on_fill,
            "order_accepted": self._on_accepted,
            "order_canceled": self._on_canceled,
            "order_filled": self._on_order_gone,
            "order_expired": self._on_order_gone,
        }
        for kind in order_rules.MESSAGE_KINDS - self._handlers.keys():
            self._handlers[kind] = self._on_message

    def process(
        self, watch: AccountWatch, record: Any, view: View
    ) -> tuple[AccountWatch, Sequence[Record]]:
        handler = self._handlers.get(record.kind)
        if handler is None:
            return watch, ()
        if record.ts_event > watch.clock:
            watch.clock = record.ts_event
            if watch.clock >= watch.sweep_due:
                self._sweep(watch)
        if watch.large_queue:
            order_rules.forget_stale_candidates(watch, self.config)
        return watch, handler(watch, record)

    def _on_fill(self, watch: AccountWatch, fill: Any) -> Alerts:
        return fill_rules.on_fill(watch, fill, self.limits, self.config)

    def _on_accepted(self, watch: AccountWatch, order: Any) -> Alerts:
        alert = order_rules.on_accepted(watch, order, self.config)
        return [] if alert is None else [alert]

    def _on_canceled(self, watch: AccountWatch, event: Any) -> Alerts:
        return order_rules.on_canceled(watch, event, self.config)

    def _on_order_gone(self, watch: AccountWatch, event: Any) -> Alerts:
        """Filled or expired: no longer a spoofing candidate (and no client message)."""
        watch.large_orders.pop(event.order_id, None)
        return []

    def _on_message(self, watch: AccountWatch, event: Any) -> Alerts:
        alert = order_rules.count_message(watch, event, self.config)
        return [] if alert is None else [alert]

    def _sweep(self, watch: AccountWatch) -> None:
        config, clock = self.config, watch.clock
        wash_oldest = clock - config.wash_window_ms * MS + 1
        for instrument in list(watch.wash_legs):
            legs = watch.wash_legs[instrument]
            cut_before(legs, wash_oldest)
            if not legs:
                del watch.wash_legs[instrument]
        ratio_oldest = clock - config.cancel_ratio_window_ms * MS + 1
        cut_before(watch.cancels, ratio_oldest)
        cut_before(watch.fills, ratio_oldest)
        cut_before(watch.messages, clock - order_rules.SECOND + 1)
        watch.sweep_due = clock + SWEEP_NS

"""oms: the FIX-style order state machine with inline pre-trade risk.

Reads ``orders.commands`` and ``exec.reports`` keyed by account, writes
``orders.events``; risk decisions go to ``risk.decisions`` and unmatched or anomalous
fills to ``compliance.alerts`` (neither is folded back). Replay folds ``orders.events``
alone.

Choices worth knowing:

* Paper venue, no round trip: a cancel or replace of a live order is answered at once
  (OrderCanceled / OrderReplaced); PendingCancel and PendingReplace exist in
  ``transitions.TRANSITIONS`` for a real venue adapter.
* Account ``*`` (set_trading_state, kill_switch): state is per account, so the gateway
  fans ``*`` out as one command per account.
* Time in force: the OMS has no clock; the venue reports expiry (ExecCanceled with
  ``expired``), which becomes OrderExpired.
* The OMS's positions (for risk) count the fills it matched to orders. A fill it could
  not match (alert ``unknown_order_fill``) or the excess of an overfill (alert
  ``overfill``) is in the positions table (from ``exec.reports``) but not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.oms.config import OmsConfig
from agents.oms.fold import COMMAND_KINDS, EXECUTION_KINDS, OUTPUT_KINDS, decide, evolve
from agents.oms.state import AccountBook
from agents.risk.limits import RiskLimits
from schemas import Record
from schemas.view import View
from streams.agent import Agent
from streams.topics import (
    COMPLIANCE_ALERTS,
    EXEC_REPORTS,
    ORDERS_COMMANDS,
    ORDERS_EVENTS,
    RISK_DECISIONS,
)

NAME = "oms"


def present(key: str, book: AccountBook, tables: Mapping[str, Any]) -> dict[str, Any]:
    """A summary per account (the order rows are the ``orders`` table)."""
    return {
        "account": book.account,
        "trading_state": book.trading_state,
        "live_orders": len(book.orders),
        "positions": {
            instrument: f"{holding.position:f}"
            for instrument, holding in sorted(book.holdings.items())
            if holding.position
        },
        "accepted": book.accepted,
        "rejected": book.rejected,
        "replaced": book.replaced,
        "canceled": book.canceled,
        "expired": book.expired,
        "filled": book.filled,
        "executions": book.executions,
    }


def build(
    registry: InstrumentRegistry,
    limits: RiskLimits | None = None,
    *,
    record_risk_decisions: bool = True,
) -> Agent[AccountBook]:
    """The OMS agent. ``registry`` answers for instruments the view does not know;
    ``limits`` (``agents.risk.load_limits(path)``) default to the built-in ones."""
    limits = limits or RiskLimits()
    config = OmsConfig(
        limits=limits,
        fallback_definition=registry.get,
        record_risk_decisions=record_risk_decisions,
    )

    def initial(account: str) -> AccountBook:
        return AccountBook(account=account, trading_state=limits.for_account(account).trading_state)

    def decide_for(book: AccountBook, item: Any, view: View) -> list[Record]:
        return decide(book, item, view, config)

    return Agent(
        name=NAME,
        inputs=(ORDERS_COMMANDS, EXEC_REPORTS),
        kinds=COMMAND_KINDS | EXECUTION_KINDS,
        state_type=AccountBook,
        initial=initial,
        state_key=lambda record: str(record.account),
        decide=decide_for,
        evolve=evolve,
        output_topic=ORDERS_EVENTS,
        routes={"risk_decision": RISK_DECISIONS, "compliance_alert": COMPLIANCE_ALERTS},
        output_kinds=OUTPUT_KINDS,
        present=present,
    )

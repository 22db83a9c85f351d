"""Execution quality (TCA) per order, and PnL marked to market (DOMAIN.md formulas)."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Account, ClOrdId, Dec, Id, InstrumentId, PositiveDec, Side


class ExecutionQuality(Record):
    """What one order cost. Bps figures are positive for a cost, except markouts, which
    are positive when the price moved in the order's favour. None: not measurable (no
    fill, no quote at the time, horizon not reached before the data ended)."""

    kind: Literal["execution_quality"] = "execution_quality"
    account: Account
    cl_ord_id: ClOrdId
    order_id: Id
    instrument: InstrumentId
    side: Side
    order_qty: PositiveDec
    cum_qty: Dec
    avg_px: Dec | None = None
    arrival_mid: Dec | None = None
    market_vwap: Dec | None = None
    end_mid: Dec | None = None
    fees: Dec
    arrival_slippage_bps: Dec | None = None
    vwap_slippage_bps: Dec | None = None
    implementation_shortfall: Dec | None = None
    implementation_shortfall_bps: Dec | None = None
    effective_spread: Dec | None = None
    realized_spread: Dec | None = None
    markout_100ms_bps: Dec | None = None
    markout_1s_bps: Dec | None = None
    markout_5s_bps: Dec | None = None
    markout_60s_bps: Dec | None = None
    fill_rate: Dec
    ack_latency_ns: int | None = None
    first_fill_latency_ns: int | None = None
    last_fill_latency_ns: int | None = None
    final: bool
    """True once the order is terminal and every markout horizon has passed."""


class PnlSnapshot(Record):
    """An account's PnL at ``ts_event``, naming the marks it used."""

    kind: Literal["pnl_snapshot"] = "pnl_snapshot"
    account: Account
    realized_pnl: Dec
    unrealized_pnl: Dec
    fees: dict[Id, Dec]
    marks: dict[InstrumentId, Dec]
    cause: Id
    """What triggered it: a fill's exec id, or ``mark`` for a periodic revaluation."""

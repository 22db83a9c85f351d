"""Row types of the exeq agents: the analyzer's working memory and the report table."""

from __future__ import annotations

from decimal import Decimal

import msgspec

ZERO = Decimal(0)

DueHorizon = tuple[int, int, str, int, int, Decimal]
"""A heap entry: (due ts, tie-break seq, order key, horizon index, fill ts, fill qty)."""


class OrderAnalysis(msgspec.Struct, kw_only=True, gc=False):
    """One order under analysis, from its acceptance until its last horizon resolved.

    Untracked by the garbage collector (``gc=False``, tuples of atomic values, no
    cycles): a book holds every resting order, and with 5 tracked objects each the first
    full collection of a gateway came after about 5k orders and took 25 ms, growing with
    the book (121 ms at 20k orders), a pause every order waiting behind it paid."""

    account: str
    order_id: str
    cl_ord_id: str
    side: str
    order_qty: Decimal
    arrival_mid: Decimal | None
    accept_ts: int
    ts_command: int
    last_event_ts: int
    cum_qty: Decimal = ZERO
    notional: Decimal = ZERO
    """``sum(last_qty * last_px)`` over the order's fills."""
    fees: Decimal = ZERO
    """Fees in the instrument's settlement currency (every fee if the instrument is unknown)."""
    exec_ids: tuple[str, ...] = ()
    first_fill_ts: int | None = None
    last_fill_ts: int | None = None
    trade_pv_start: Decimal = ZERO
    """The book's running ``sum(price * size)`` of market trades when the order was accepted."""
    trade_volume_start: Decimal = ZERO
    market_pv: Decimal = ZERO
    """Market trades between acceptance and the terminal event (set when terminal)."""
    market_volume: Decimal = ZERO
    terminal: bool = False
    terminal_ts: int = 0
    end_mid: Decimal | None = None
    horizon_mid_qty: tuple[Decimal, ...] = ()
    """Per horizon: ``sum(fill qty * mid at fill ts + h)`` over the fills resolved so far."""
    horizon_qty: tuple[Decimal, ...] = ()
    """Per horizon: the fill quantity resolved so far."""
    horizon_unquoted: tuple[bool, ...] = ()
    """Per horizon: some fill had no quote at all by then, so the markout is unmeasurable."""
    pending: int = 0
    """Heap entries still outstanding for this order."""


class ExeqBook(msgspec.Struct, kw_only=True):
    """The analyzer's memory for one instrument. Finished orders leave it."""

    instrument: str
    mid: Decimal | None = None
    quote_ts: int = 0
    trade_pv: Decimal = ZERO
    """Running ``sum(price * size)`` of trades, reset whenever no order is open."""
    trade_volume: Decimal = ZERO
    open_orders: int = 0
    """Orders accepted and not yet terminal (the VWAP sums are needed while > 0)."""
    orders: dict[str, OrderAnalysis] = msgspec.field(default_factory=dict)
    """By ``account|order_id``: open orders, and terminal ones with horizons pending."""
    due: list[DueHorizon] = msgspec.field(default_factory=list)
    """A heap by due time: the only orders a tick touches."""
    seq: int = 0


class ExeqRow(msgspec.Struct, frozen=True, kw_only=True):
    """The latest ExecutionQuality of one order (the ``exeq`` table's row)."""

    account: str
    order_id: str
    cl_ord_id: str = ""
    instrument: str = ""
    side: str = "buy"
    order_qty: Decimal = ZERO
    cum_qty: Decimal = ZERO
    avg_px: Decimal | None = None
    arrival_mid: Decimal | None = None
    market_vwap: Decimal | None = None
    end_mid: Decimal | None = None
    fees: Decimal = ZERO
    arrival_slippage_bps: Decimal | None = None
    vwap_slippage_bps: Decimal | None = None
    implementation_shortfall: Decimal | None = None
    implementation_shortfall_bps: Decimal | None = None
    effective_spread: Decimal | None = None
    realized_spread: Decimal | None = None
    markout_100ms_bps: Decimal | None = None
    markout_1s_bps: Decimal | None = None
    markout_5s_bps: Decimal | None = None
    markout_60s_bps: Decimal | None = None
    fill_rate: Decimal = ZERO
    ack_latency_ns: int | None = None
    first_fill_latency_ns: int | None = None
    last_fill_latency_ns: int | None = None
    final: bool = False
    ts_event: int = 0
    reports: int = 0
    """How many reports for this order were folded (provisional and final)."""

"""Point-in-time features per instrument over ``md.ticks`` (DOMAIN.md, Features).

Buckets: event time is cut into 1 s buckets. When a tick opens a later bucket, the
agent first emits the features *as of the end of the previous bucket* (every tick with
``ts_event`` before that instant and none after: no look-ahead), then applies the tick.
One vector per bucket that saw a tick; empty buckets in a gap emit nothing, and the last
bucket is emitted when a later tick arrives (an agent has no clock to close it).

Window: the 60 s window of a vector ending at ``E`` is ``[E - 60 s, E)``. Trades older
than that leave memory at the vector's emission; running sums make a vector O(1) apart
from the trades it evicts.

* ``vwap_60s = sum(p q) / sum(q)``; ``trade_count_60s``: the trades in the window.
* ``rv_60s = sqrt(sum(ln(p_i / p_{i-1})^2))`` over consecutive trades both inside the
  window. Each squared return is computed once, with ``ln`` in a fixed 28-digit context,
  and quantized to 1e-30, so the running sums are exact fixed-point and recomputing from
  scratch gives the same digits as the incremental sums.
* ``obi_l1`` and ``spread_bps`` come from the latest quote before ``E``.

Out of order: a tick older than the newest accepted one is counted in
``out_of_order`` and ignored, so windows only ever grow at the new end and every vector
still holds only ticks from before its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any, Final

from agents.features.state import FeatureBook, WindowTrade
from schemas import InstrumentId, Record
from schemas.features import FeatureVector
from schemas.view import View

SECOND: Final = 1_000_000_000
WINDOW_NS: Final = 60 * SECOND
TICK_KINDS: Final = frozenset({"trade", "quote"})

LOG_CONTEXT: Final = Context(prec=28)
"""Where ``ln`` and the output ratios are computed: fixed, not the thread's context."""
SUM_CONTEXT: Final = Context(prec=60)
"""Wide enough that sums of notionals and quantized squared returns stay exact."""
SQUARED_RETURN_QUANTUM: Final = Decimal("1e-30")
ZERO: Final = Decimal(0)
TWO: Final = Decimal(2)
BPS: Final = Decimal(10_000)


def squared_log_return(price: Decimal, previous: Decimal) -> Decimal:
    """``ln(price / previous)^2``, in the fixed context, quantized to 1e-30."""
    if price == previous:
        return ZERO
    log_return = LOG_CONTEXT.ln(LOG_CONTEXT.divide(price, previous))
    return LOG_CONTEXT.multiply(log_return, log_return).quantize(
        SQUARED_RETURN_QUANTUM, context=SUM_CONTEXT
    )


def bucket_of(ts: int) -> int:
    return ts - ts % SECOND


def process(book: FeatureBook, tick: Any, view: View) -> tuple[FeatureBook, Sequence[Record]]:
    if tick.kind not in TICK_KINDS:
        return book, ()
    ts = tick.ts_event
    if ts < book.last_ts:
        book.out_of_order += 1
        return book, ()
    bucket = bucket_of(ts)
    emitted: tuple[Record, ...] = ()
    if bucket > book.bucket_ts:
        if book.bucket_ts >= 0:
            emitted = (emit(book, book.bucket_ts + SECOND),)
        book.bucket_ts = bucket
    book.last_ts = ts
    if tick.kind == "trade":
        _add_trade(book, ts, tick.price, tick.size)
    else:
        book.bid, book.bid_size = tick.bid, tick.bid_size
        book.ask, book.ask_size = tick.ask, tick.ask_size
    return book, emitted


def _add_trade(book: FeatureBook, ts: int, price: Decimal, size: Decimal) -> None:
    previous = book.last_price
    squared = ZERO if previous is None else squared_log_return(price, previous)
    notional = SUM_CONTEXT.multiply(price, size)
    book.trades.append(WindowTrade(ts, notional, size, squared))
    book.notional_sum = SUM_CONTEXT.add(book.notional_sum, notional)
    book.size_sum = SUM_CONTEXT.add(book.size_sum, size)
    book.squared_return_sum = SUM_CONTEXT.add(book.squared_return_sum, squared)
    book.last_price = price


def _evict(book: FeatureBook, oldest: int) -> None:
    trades = book.trades
    count = 0
    for trade in trades:
        if trade.ts >= oldest:
            break
        book.notional_sum = SUM_CONTEXT.subtract(book.notional_sum, trade.notional)
        book.size_sum = SUM_CONTEXT.subtract(book.size_sum, trade.size)
        book.squared_return_sum = SUM_CONTEXT.subtract(
            book.squared_return_sum, trade.squared_return
        )
        count += 1
    if count:
        del trades[:count]
        if not trades:
            # Exactly zero again, whatever digits the sums went through.
            book.notional_sum = book.size_sum = book.squared_return_sum = ZERO


def emit(book: FeatureBook, end: int) -> FeatureVector:
    """The features as of ``end`` (exclusive), evicting what has left the window."""
    _evict(book, end - WINDOW_NS)
    trades = book.trades
    count = len(trades)
    vwap = LOG_CONTEXT.divide(book.notional_sum, book.size_sum) if count else None
    rv = (
        LOG_CONTEXT.sqrt(SUM_CONTEXT.subtract(book.squared_return_sum, trades[0].squared_return))
        if count >= 2
        else None
    )
    return FeatureVector(
        instrument=InstrumentId(book.instrument),
        bucket_ts=end - SECOND,
        vwap_60s=vwap,
        rv_60s=rv,
        obi_l1=quote_imbalance(book.bid_size, book.ask_size),
        trade_count_60s=count,
        spread_bps=spread_bps(book.bid, book.ask),
        ts_event=end,
    )


def quote_imbalance(bid_size: Decimal | None, ask_size: Decimal | None) -> Decimal | None:
    if bid_size is None or ask_size is None:
        return None
    return LOG_CONTEXT.divide(bid_size - ask_size, bid_size + ask_size)


def spread_bps(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    if bid is None or ask is None:
        return None
    mid = LOG_CONTEXT.divide(LOG_CONTEXT.add(bid, ask), TWO)
    return LOG_CONTEXT.multiply(LOG_CONTEXT.divide(LOG_CONTEXT.subtract(ask, bid), mid), BPS)

"""The paper venue's working memory for one instrument: its view of the touch and its book.

The book holds only our own resting orders; the market's liquidity is the latest quote.
Each side is a list of priority keys kept sorted with ``bisect`` so that the order that
trades next is always the **last** element: a tick that crosses nothing looks at one
element per side, and a fill that completes the best order pops from the end in O(1).

* bids: ``(limit_price, -seq, order_id)`` ascending, so the end is the highest price and,
  among equal prices, the lowest ``seq`` (the earliest);
* asks: ``(-limit_price, -seq, order_id)`` ascending, so the end is the lowest price, then
  the earliest.

``expiries`` holds ``(expire_at, seq, order_id)`` ascending: the orders a tick expires are
a prefix found by bisection. Keys are plain tuples so the state encodes with msgspec.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from schemas.types import Side, TimeInForce

ZERO = Decimal(0)

PriorityKey = tuple[Decimal, int, str]
ExpiryKey = tuple[int, int, str]


class RestingOrder(msgspec.Struct, kw_only=True):
    """One of our orders the venue is working: a limit order with quantity left."""

    account: str
    cl_ord_id: str
    """The order's current ClOrdID (a replace moves it on); fills carry it."""
    order_id: str
    side: Side
    limit_price: Decimal
    qty: Decimal
    """The order quantity as last accepted or replaced."""
    leaves_qty: Decimal
    executed_qty: Decimal = ZERO
    """What this venue filled so far (the OMS may not have seen all of it yet)."""
    tif: TimeInForce
    expire_at: int | None = None
    """When the order stops working (UTC ns, inclusive); None: good till canceled."""
    accepted_ts: int
    seq: int
    """Time priority: lower trades first at an equal price."""
    fills: int = 0
    """Fills so far; the next exec id is ``{order_id}-F{fills + 1}``."""


class Book(msgspec.Struct, kw_only=True):
    """Everything the venue knows about one instrument."""

    instrument: str
    bid: Decimal | None = None
    bid_size: Decimal = ZERO
    ask: Decimal | None = None
    ask_size: Decimal = ZERO
    quote_ts: int = 0
    """The latest quote as this venue saw it in ``md.ticks`` (not the shared view)."""
    bid_left: Decimal = ZERO
    ask_left: Decimal = ZERO
    """Quoted size not yet taken by our orders: a quoted size fills once, until the
    next quote refreshes it."""
    orders: dict[str, RestingOrder] = msgspec.field(default_factory=dict)
    bids: list[PriorityKey] = msgspec.field(default_factory=list)
    asks: list[PriorityKey] = msgspec.field(default_factory=list)
    expiries: list[ExpiryKey] = msgspec.field(default_factory=list)
    next_seq: int = 1


def priority_key(order: RestingOrder) -> PriorityKey:
    price = order.limit_price if order.side == "buy" else -order.limit_price
    return (price, -order.seq, order.order_id)


def expiry_key(order: RestingOrder) -> ExpiryKey | None:
    if order.expire_at is None:
        return None
    return (order.expire_at, order.seq, order.order_id)

"""The paper venue's matching: pure, deterministic given the log.

Rules (the docstring of record; tests pin each one):

* **Arrival.** A market order, or a limit that crosses the touch (buy limit >= ask, sell
  limit <= bid), takes the opposite touch at the quoted price, up to the quoted size not
  yet taken by our other orders: taker. What a market order could not take is canceled
  (``ExecCanceled``: "no quote yet" / "no liquidity at the touch"), an IOC's rest too
  ("IOC remainder"); a DAY/GTC limit's rest rests.
* **Quotes.** A fresh quote (not older than the last one) replaces the touch. Resting
  buys at or above the new ask (sells at or below the new bid) fill at their own limit
  price, by price then time priority, up to the quoted size: maker, since they were in
  the book first. A quote older than the last one seen is ignored for matching.
* **Trades.** A print fills resting buys priced strictly above it (sells strictly below)
  at their limit, up to the print's size per side, by price-time priority: maker. A
  print *at* the limit does not fill: the venue cannot know the order's queue position,
  so it waits for the market to trade through it (the conservative convention).
* **Liquidity is used once.** A quoted size, once taken by our orders (at arrival, on a
  replace or by resting orders on that quote), is gone until the next quote; a print's
  size is shared by the orders it fills within that print. Our own orders never match
  each other.
* **Replace.** The new leaves are the new qty less what *this venue* filled (fills may
  still be on their way to the OMS); nothing left means the order is done here. A new
  price or more leaves loses time priority; less leaves keeps it. Then the order is
  checked against the touch like an arrival (taker).
* **Expiry.** A DAY order stops working at the first instant of the next UTC day after
  its acceptance, a GTC never, and an ``expire_ts`` on the order wins over both. A tick
  whose ``ts_event`` is at or past that instant expires it (``ExecCanceled`` with
  ``expired=True``) before the tick is matched. An order already expired on arrival is
  expired at once.
* **Cancel/expire from the OMS** remove the order silently: the OMS already decided.

Each handler plans first (reads the book, builds every output record, which is where
anything could raise) and only then applies the plan to the book in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from agents.venue.book import add_order, expired_orders, in_priority, remove_order, reprice
from agents.venue.fees import VenueFees
from agents.venue.reports import OrderRef, Reports, expiry_of, reports_for
from agents.venue.state import ZERO, Book, RestingOrder
from schemas import OrderAccepted, OrderReplaced, Quote, Record, Trade
from schemas.view import View

# -- the touch -----------------------------------------------------------------------


def _touch_for(book: Book, side: str) -> tuple[Decimal | None, Decimal]:
    """The opposite touch a ``side`` order takes, and its size not yet taken."""
    return (book.ask, book.ask_left) if side == "buy" else (book.bid, book.bid_left)


def _take(book: Book, side: str, limit: Decimal | None, leaves: Decimal) -> tuple[Decimal, Decimal]:
    """(qty, price) an aggressive order takes from the touch; qty 0 when it cannot."""
    price, left = _touch_for(book, side)
    if price is None or left <= ZERO:
        return ZERO, ZERO
    if limit is not None and (limit < price if side == "buy" else limit > price):
        return ZERO, ZERO
    return min(leaves, left), price


def _consume_touch(book: Book, side: str, qty: Decimal) -> None:
    if side == "buy":
        book.ask_left -= qty
    else:
        book.bid_left -= qty


def _fill_resting(book: Book, order: RestingOrder, qty: Decimal) -> None:
    order.leaves_qty -= qty
    order.executed_qty += qty
    order.fills += 1
    if order.leaves_qty <= ZERO:
        remove_order(book, order)


# -- order events --------------------------------------------------------------------


def on_accepted(book: Book, accepted: OrderAccepted, view: View, fees: VenueFees) -> list[Record]:
    if accepted.order_id in book.orders:
        return []  # already working here: a repeat of the same acceptance
    out = reports_for(book, view, fees, accepted.ts_event)
    ref = OrderRef.of(accepted)
    limit = accepted.limit_price
    expire_at = expiry_of(accepted)
    if out.definition is None:
        return [out.canceled(ref, qty=accepted.qty, reason="unknown instrument")]
    if accepted.order_type == "limit" and limit is None:
        return [out.canceled(ref, qty=accepted.qty, reason="limit order without a price")]
    if expire_at is not None and expire_at <= accepted.ts_event and accepted.tif != "IOC":
        return [out.canceled(ref, qty=accepted.qty, reason="expired on arrival", expired=True)]

    qty, price = _take(book, accepted.side, limit, accepted.qty)
    events: list[Record] = []
    if qty > ZERO:
        events.append(out.fill(ref, number=1, qty=qty, price=price, liquidity="taker"))
    rest = accepted.qty - qty
    resting: RestingOrder | None = None
    if rest > ZERO:
        if accepted.order_type == "market":
            touch, _ = _touch_for(book, accepted.side)
            reason = "no quote yet" if touch is None else "no liquidity at the touch"
            events.append(out.canceled(ref, qty=rest, reason=reason))
        elif accepted.tif == "IOC":
            events.append(out.canceled(ref, qty=rest, reason="IOC remainder"))
        else:
            assert limit is not None
            resting = RestingOrder(
                account=accepted.account,
                cl_ord_id=accepted.cl_ord_id,
                order_id=accepted.order_id,
                side=accepted.side,
                limit_price=limit,
                qty=accepted.qty,
                leaves_qty=rest,
                executed_qty=qty,
                tif=accepted.tif,
                expire_at=expire_at,
                accepted_ts=accepted.ts_event,
                seq=book.next_seq,
                fills=1 if qty > ZERO else 0,
            )

    _consume_touch(book, accepted.side, qty)
    if resting is not None:
        book.next_seq += 1
        add_order(book, resting)
    return events


def on_replaced(book: Book, replaced: OrderReplaced, view: View, fees: VenueFees) -> list[Record]:
    order = book.orders.get(replaced.order_id)
    if order is None:
        return []  # not working here any more (filled, canceled) or never rested
    out = reports_for(book, view, fees, replaced.ts_event)
    new_price = replaced.limit_price if replaced.limit_price is not None else order.limit_price
    leaves = replaced.qty - order.executed_qty
    if leaves <= ZERO:
        remove_order(book, order)  # this venue already filled all the new qty allows
        return []
    qty, price = _take(book, order.side, new_price, leaves)
    events: list[Record] = []
    if qty > ZERO:
        events.append(
            out.fill(
                OrderRef(order.account, replaced.cl_ord_id, order.order_id, order.side),
                number=order.fills + 1,
                qty=qty,
                price=price,
                liquidity="taker",
            )
        )

    if new_price != order.limit_price or leaves > order.leaves_qty:
        reprice(book, order, new_price, book.next_seq)
        book.next_seq += 1
    order.cl_ord_id = replaced.cl_ord_id
    order.qty = replaced.qty
    order.leaves_qty = leaves
    if qty > ZERO:
        _consume_touch(book, order.side, qty)
        _fill_resting(book, order, qty)
    return events


def on_removed(book: Book, event: Any, view: View, fees: VenueFees) -> list[Record]:
    """OrderCanceled / OrderExpired: the OMS closed the order; stop working it."""
    order = book.orders.get(event.order_id)
    if order is not None:
        remove_order(book, order)
    return []


# -- ticks ---------------------------------------------------------------------------

Plan = list[tuple[RestingOrder, Decimal]]


def _plan_side(
    book: Book,
    side: str,
    crosses: Callable[[Decimal], bool],
    budget: Decimal,
    skip: frozenset[str],
) -> Plan:
    """Who on ``side`` fills and how much, by price-time priority, within ``budget``."""
    plan: Plan = []
    for order in in_priority(book, side):
        if budget <= ZERO:
            break
        if order.order_id in skip:
            continue
        if not crosses(order.limit_price):
            break
        qty = min(order.leaves_qty, budget)
        plan.append((order, qty))
        budget -= qty
    return plan


def _expire_then_match(
    book: Book,
    out: Reports,
    plan_for: Callable[[frozenset[str]], tuple[Plan, Plan]],
    then: Callable[[Decimal, Decimal], None],
) -> list[Record]:
    """Expire what the tick's time ended, plan the fills, build records, then apply."""
    expired = expired_orders(book, out.ts)
    skip = frozenset(order.order_id for order in expired)
    buys, sells = plan_for(skip)
    events: list[Record] = [
        out.canceled(
            OrderRef.of(order),
            qty=order.leaves_qty,
            reason=f"time in force ended ({order.tif})",
            expired=True,
        )
        for order in expired
    ]
    plan = buys + sells
    events.extend(out.resting_fill(order, qty, "maker") for order, qty in plan)

    for order in expired:
        remove_order(book, order)
    then(sum((qty for _, qty in buys), ZERO), sum((qty for _, qty in sells), ZERO))
    for order, qty in plan:
        _fill_resting(book, order, qty)
    return events


def on_quote(book: Book, quote: Quote, view: View, fees: VenueFees) -> list[Record]:
    out = reports_for(book, view, fees, quote.ts_event)
    fresh = quote.ts_event >= book.quote_ts

    def plan_for(skip: frozenset[str]) -> tuple[Plan, Plan]:
        if not fresh:
            return [], []
        ask, bid = quote.ask, quote.bid
        buys = _plan_side(book, "buy", lambda limit: limit >= ask, quote.ask_size, skip)
        sells = _plan_side(book, "sell", lambda limit: limit <= bid, quote.bid_size, skip)
        return buys, sells

    def take_quote(bought: Decimal, sold: Decimal) -> None:
        if not fresh:
            return
        book.bid, book.bid_size, book.bid_left = quote.bid, quote.bid_size, quote.bid_size - sold
        book.ask, book.ask_size, book.ask_left = quote.ask, quote.ask_size, quote.ask_size - bought
        book.quote_ts = quote.ts_event

    return _expire_then_match(book, out, plan_for, take_quote)


def on_trade(book: Book, trade: Trade, view: View, fees: VenueFees) -> list[Record]:
    out = reports_for(book, view, fees, trade.ts_event)
    price = trade.price

    def plan_for(skip: frozenset[str]) -> tuple[Plan, Plan]:
        buys = _plan_side(book, "buy", lambda limit: limit > price, trade.size, skip)
        sells = _plan_side(book, "sell", lambda limit: limit < price, trade.size, skip)
        return buys, sells

    return _expire_then_match(book, out, plan_for, lambda bought, sold: None)


Handler = Callable[[Book, Any, View, VenueFees], Sequence[Record]]

HANDLERS: dict[str, Handler] = {
    "quote": on_quote,
    "trade": on_trade,
    "order_accepted": on_accepted,
    "order_replaced": on_replaced,
    "order_canceled": on_removed,
    "order_expired": on_removed,
}
"""Every kind the venue reads; anything else on its inputs is ignored on purpose."""


def process(book: Book, event: Any, view: View, fees: VenueFees) -> tuple[Book, Sequence[Record]]:
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return book, []
    return book, handler(book, event, view, fees)

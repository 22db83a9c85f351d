"""A seeded order-flow generator: a simple strategy for `tapeline run`.

It watches the ticks the feed produces and, at ``orders`` moments chosen up front by a
seeded random draw, sends a new order: market or limit (some marketable, most passive),
DAY / GTC / IOC, across a few accounts; now and then it cancels or replaces an earlier
order, and a few orders break a rule on purpose (too big, off the tick grid) so a session
shows rejections too. Same seed, same feed: the same commands.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from agents.instruments import InstrumentRegistry
from schemas import CancelOrder, InstrumentDefinition, Quote, Record, ReplaceOrder, SubmitOrder
from schemas.types import OrderType, Side

CANCEL_SHARE = 0.2
REPLACE_SHARE = 0.1
BAD_ORDER_SHARE = 0.02
MAX_LOTS = 40


class OrderFlow:
    def __init__(
        self,
        *,
        seed: int,
        orders: int,
        ticks: int,
        accounts: Sequence[str],
        registry: InstrumentRegistry,
    ) -> None:
        self._rng = random.Random(seed)  # noqa: S311 (a seeded simulation, not security)
        self._registry = registry
        self._accounts = list(accounts)
        # How many new orders to send at each tick index (exactly ``orders`` in total).
        self._due: dict[int, int] = {}
        for index in (self._rng.randrange(max(ticks, 1)) for _ in range(orders)):
            self._due[index] = self._due.get(index, 0) + 1
        self._tick_index = 0
        self._quotes: dict[str, Quote] = {}
        self._sent: list[SubmitOrder] = []
        self._latest_id: dict[str, str] = {}
        self._counter = 0

    def on_tick(self, tick: Record) -> list[Record]:
        """Commands to send after ``tick`` (usually none)."""
        index = self._tick_index
        self._tick_index += 1
        if isinstance(tick, Quote):
            self._quotes[tick.instrument] = tick
        count = self._due.pop(index, 0)
        quote = self._quotes.get(getattr(tick, "instrument", ""))
        if not count or quote is None:
            return []
        commands: list[Record] = []
        for _ in range(count):
            commands.append(self._submit(quote))
            roll = self._rng.random()
            if roll < CANCEL_SHARE and len(self._sent) > 1:
                commands.append(self._cancel(quote.ts_event))
            elif roll < CANCEL_SHARE + REPLACE_SHARE and len(self._sent) > 1:
                commands.append(self._replace(quote))
        return commands

    def _next_id(self) -> str:
        self._counter += 1
        return f"C{self._counter:06d}"

    def _submit(self, quote: Quote) -> SubmitOrder:
        rng = self._rng
        definition = self._registry.require(quote.instrument)
        side: Side = "buy" if rng.random() < 0.5 else "sell"
        lots = rng.randint(1, MAX_LOTS)
        qty = definition.lot_size * lots
        mid = (quote.bid + quote.ask) / 2
        bad = rng.random() < BAD_ORDER_SHARE
        order_type: OrderType = "market" if rng.random() < 0.35 else "limit"
        price = None
        if order_type == "limit":
            offset_ticks = rng.randint(-3, 12)  # negative: crosses the spread
            price = (
                _snap(mid, definition)
                + (-offset_ticks if side == "buy" else offset_ticks) * definition.tick_size
            )
            if price <= 0:
                price = definition.tick_size
            if bad:
                price += definition.tick_size / 3  # off the tick grid
        if bad and order_type == "market":
            qty = definition.lot_size * 10**9  # far over any quantity limit
        order = SubmitOrder(
            account=rng.choice(self._accounts),  # type: ignore[arg-type]
            cl_ord_id=self._next_id(),  # type: ignore[arg-type]
            instrument=quote.instrument,
            side=side,
            order_type=order_type,
            qty=qty,
            limit_price=price,
            tif=rng.choices(("DAY", "GTC", "IOC"), weights=(7, 2, 1))[0],
            ts_event=quote.ts_event,
        )
        self._sent.append(order)
        self._latest_id[order.cl_ord_id] = order.cl_ord_id
        return order

    def _pick_earlier(self) -> SubmitOrder:
        return self._sent[self._rng.randrange(len(self._sent) - 1)]

    def _cancel(self, ts: int) -> CancelOrder:
        target = self._pick_earlier()
        current = self._latest_id[target.cl_ord_id]
        return CancelOrder(
            account=target.account,
            cl_ord_id=self._next_id(),  # type: ignore[arg-type]
            orig_cl_ord_id=current,  # type: ignore[arg-type]
            ts_event=ts,
        )

    def _replace(self, quote: Quote) -> ReplaceOrder:
        target = self._pick_earlier()
        definition = self._registry.require(target.instrument)
        current = self._latest_id[target.cl_ord_id]
        new_id = self._next_id()
        self._latest_id[target.cl_ord_id] = new_id
        price = target.limit_price
        if price is not None:
            price = max(
                price + self._rng.randint(-2, 2) * definition.tick_size, definition.tick_size
            )
        return ReplaceOrder(
            account=target.account,
            cl_ord_id=new_id,  # type: ignore[arg-type]
            orig_cl_ord_id=current,  # type: ignore[arg-type]
            qty=target.qty + definition.lot_size * self._rng.randint(0, 5),
            limit_price=price,
            ts_event=quote.ts_event,
        )


def _snap(price: Decimal, definition: InstrumentDefinition) -> Decimal:
    """``price`` rounded down to the instrument's tick grid."""
    return (price // definition.tick_size) * definition.tick_size

"""Sorted-side operations on a ``Book``: O(log n) search, best order at the end.

Nothing here builds records or knows about fees; ``matching`` plans with the read-only
helpers and applies its plan with the mutating ones.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from decimal import Decimal
from typing import TypeVar

from agents.venue.state import (
    Book,
    ExpiryKey,
    PriorityKey,
    RestingOrder,
    expiry_key,
    priority_key,
)

Key = TypeVar("Key", PriorityKey, ExpiryKey)


def side_list(book: Book, side: str) -> list[PriorityKey]:
    return book.bids if side == "buy" else book.asks


def in_priority(book: Book, side: str) -> Iterator[RestingOrder]:
    """The resting orders of ``side``, the one that trades first first.

    Callers stop at the first order that does not cross, so a tick that crosses
    nothing costs one step.
    """
    keys = side_list(book, side)
    orders = book.orders
    for index in range(len(keys) - 1, -1, -1):
        yield orders[keys[index][2]]


def expired_orders(book: Book, ts: int) -> list[RestingOrder]:
    """The orders whose expiry is at or before ``ts``, earliest first (no change)."""
    count = bisect_right(book.expiries, ts, key=lambda entry: entry[0])
    return [book.orders[entry[2]] for entry in book.expiries[:count]]


def add_order(book: Book, order: RestingOrder) -> None:
    book.orders[order.order_id] = order
    insort(side_list(book, order.side), priority_key(order))
    key = expiry_key(order)
    if key is not None:
        insort(book.expiries, key)


def _remove_key(keys: list[Key], key: Key) -> None:
    index = bisect_left(keys, key)
    if index == len(keys) or keys[index] != key:
        raise AssertionError(f"venue book out of sync: {key!r} is not indexed")
    del keys[index]


def remove_order(book: Book, order: RestingOrder) -> None:
    del book.orders[order.order_id]
    _remove_key(side_list(book, order.side), priority_key(order))
    key = expiry_key(order)
    if key is not None:
        _remove_key(book.expiries, key)


def reprice(book: Book, order: RestingOrder, limit_price: Decimal, seq: int) -> None:
    """Move ``order`` to a new price and time priority (its expiry key keeps its seq)."""
    keys = side_list(book, order.side)
    _remove_key(keys, priority_key(order))
    old_expiry = expiry_key(order)
    order.limit_price = limit_price
    order.seq = seq
    insort(keys, priority_key(order))
    new_expiry = expiry_key(order)
    if old_expiry is not None and new_expiry is not None:
        _remove_key(book.expiries, old_expiry)
        insort(book.expiries, new_expiry)

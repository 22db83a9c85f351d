"""Working memory of the compliance agent: one ``AccountWatch`` per account.

Every collection is bounded by event time: windows are lists in arrival order whose old
end is cut off as the account's clock (its newest event time) moves on. The state is
saved by the runtime as JSON (``streams.state.encode_state``), so only msgspec-encodable
types are used (lists and dicts, no deques).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, TypeVar

import msgspec

ZERO = Decimal(0)


class Stamp(msgspec.Struct, array_like=True):
    """An event id and its event time: one entry of a counting window."""

    ts: int
    event: str


class WashLeg(msgspec.Struct, array_like=True):
    """A fill that may still pair with an opposite fill into a wash trade."""

    ts: int
    side: str
    qty: Decimal
    price: Decimal
    event: str


class LargeOrder(msgspec.Struct, kw_only=True):
    """A large order resting near the touch: a spoofing candidate until it leaves."""

    order_id: str
    instrument: str
    side: str
    qty: Decimal
    limit_price: Decimal
    arrival_mid: Decimal
    accept_ts: int
    accepted_event: str
    opposite_fills: list[str] = msgspec.field(default_factory=list)


class AccountWatch(msgspec.Struct, kw_only=True):
    account: str
    clock: int = 0
    """The newest event time seen for the account: windows are cut against it."""
    positions: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Signed quantity per instrument, from every fill (as the positions table counts)."""
    exec_ids: set[str] = msgspec.field(default_factory=set)
    exec_log: list[Stamp] = msgspec.field(default_factory=list)
    """ExecIDs in arrival order, forgotten after ``dedup_window_ms``."""
    wash_legs: dict[str, list[WashLeg]] = msgspec.field(default_factory=dict)
    """Unpaired fills of the wash window, per instrument."""
    order_sizes: list[Decimal] = msgspec.field(default_factory=list)
    """The latest accepted order sizes, oldest first (for the median)."""
    sorted_sizes: list[Decimal] = msgspec.field(default_factory=list)
    """The same sizes, sorted."""
    large_orders: dict[str, LargeOrder] = msgspec.field(default_factory=dict)
    """Spoofing candidates by order id."""
    large_queue: list[Stamp] = msgspec.field(default_factory=list)
    """(accept ts, order id) of the candidates, to forget them once too old to qualify."""
    cancels: list[Stamp] = msgspec.field(default_factory=list)
    fills: list[Stamp] = msgspec.field(default_factory=list)
    ratio_quiet_until: int = 0
    """No new cancel-to-fill alert before this time: one alert per window."""
    messages: list[Stamp] = msgspec.field(default_factory=list)
    rate_quiet_until: int = 0
    """No new message-rate alert before this time: one alert per second."""
    sweep_due: int = 0
    """When the next sweep cuts the windows no event touched."""


class _Timed(Protocol):
    @property
    def ts(self) -> int: ...


T = TypeVar("T", bound=_Timed)


def cut_before(window: list[T], oldest: int) -> None:
    """Drop the entries older than ``oldest`` from the front of ``window`` (arrival order:
    a late entry behind a newer one waits until the newer one goes)."""
    count = 0
    for stamp in window:
        if stamp.ts >= oldest:
            break
        count += 1
    if count:
        del window[:count]

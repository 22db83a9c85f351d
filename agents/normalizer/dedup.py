"""Drop a trade already seen: (venue, symbol, trade id) over a bounded window.

Venues resend trades after a reconnect and Tardis files overlap at their edges; both
repeats are recent, so remembering the last ``window`` ids of each instrument catches
them with O(1) work per trade and memory bounded by window x instruments (instruments
are bounded too: unknown ones are refused before they get here).
"""

from __future__ import annotations

from collections import deque

DEFAULT_WINDOW = 10_000


class _RecentIds:
    __slots__ = ("members", "order")

    def __init__(self) -> None:
        self.order: deque[str] = deque()
        self.members: set[str] = set()


class TradeDeduplicator:
    """``is_duplicate`` remembers each new id; an id older than the window is forgotten."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"the dedup window must hold at least one id, got {window}")
        self.window = window
        self._recent: dict[str, _RecentIds] = {}

    def is_duplicate(self, instrument: str, trade_id: str) -> bool:
        """True when the id is in this instrument's window; otherwise records it."""
        recent = self._recent.get(instrument)
        if recent is None:
            recent = self._recent[instrument] = _RecentIds()
        if trade_id in recent.members:
            return True
        if len(recent.order) == self.window:
            recent.members.discard(recent.order.popleft())
        recent.order.append(trade_id)
        recent.members.add(trade_id)
        return False

    def remembered(self, instrument: str) -> int:
        recent = self._recent.get(instrument)
        return 0 if recent is None else len(recent.order)

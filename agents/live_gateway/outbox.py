"""A WebSocket client's bounded send queue: what a slow client loses, and what it never does.

Ticks are perishable (the next one supersedes them); order updates, fills, positions, PnL
and alerts are not. When the queue is full an arriving message evicts the OLDEST queued
tick; when it holds only updates, an arriving tick is dropped and an arriving update
overflows: the connection must then be closed so the client resyncs from the REST tables
(silently skipping an order update would leave its view wrong). Messages leave in arrival
order. Every operation is O(1).
"""

from __future__ import annotations

from collections import deque


class Outbox:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("an outbox holds at least one message")
        self.capacity = capacity
        self.dropped_ticks = 0
        self.overflowed = False
        self._ticks: deque[tuple[int, str]] = deque()
        self._updates: deque[tuple[int, str]] = deque()
        self._arrivals = 0

    def __len__(self) -> int:
        return len(self._ticks) + len(self._updates)

    def offer(self, message: str, tick: bool) -> bool:
        """Queue ``message``; False when an update found the queue full of updates."""
        if self.overflowed:
            return False
        if len(self) >= self.capacity:
            if self._ticks:
                self._ticks.popleft()
                self.dropped_ticks += 1
            elif tick:
                self.dropped_ticks += 1
                return True
            else:
                self.overflowed = True
                return False
        self._arrivals += 1
        (self._ticks if tick else self._updates).append((self._arrivals, message))
        return True

    def pop(self) -> str | None:
        """The oldest queued message, or None when empty."""
        ticks, updates = self._ticks, self._updates
        if ticks and (not updates or ticks[0][0] < updates[0][0]):
            return ticks.popleft()[1]
        if updates:
            return updates.popleft()[1]
        return None

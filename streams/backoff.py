"""Retrying a server that is away: bounded exponential backoff, shared by every sink."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff: ``initial * 2**n`` capped at ``maximum`` seconds."""

    initial: float = 0.1
    maximum: float = 5.0
    attempts: int = 40
    """Consecutive failed attempts before ``run_until_caught_up`` gives up (~3 minutes)."""

    def delay(self, attempt: int) -> float:
        return float(min(self.maximum, self.initial * 2 ** min(attempt, 32)))

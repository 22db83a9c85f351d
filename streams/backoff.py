"""Retrying a server that is away: bounded exponential backoff, shared by every sink."""

from __future__ import annotations

import time
from collections.abc import Callable
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

    def run(
        self,
        step: Callable[[], int],
        away: type[Exception],
        on_retry: Callable[[], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Call ``step`` until it returns 0 (caught up). While it raises ``away`` (the
        server is not there) wait longer each time; after ``attempts`` in a row, re-raise."""
        failures = 0
        while True:
            try:
                if not step():
                    return
                failures = 0
            except away:
                if failures >= self.attempts:
                    raise
                on_retry()
                sleep(self.delay(failures))
                failures += 1

"""Counts the reliability suite accumulates for the README: faults, hostile inputs, losses.

Every test adds what it injected and what it found; ``test_zz_totals`` prints the sums
(``pytest -s tests/reliability``). Losses are counted, not only asserted, so that the
figure in the README is a measurement ("events lost: 0"), not a slogan.
"""

from __future__ import annotations

from collections import Counter

FAULTS = "faults injected"
HOSTILE = "hostile inputs tried"
LOST = "events lost"
DUPLICATED = "events duplicated"
ROUNDS = "kill -9 rounds survived"

_totals: Counter[str] = Counter()


def add(name: str, count: int = 1) -> None:
    _totals[name] += count


def totals() -> dict[str, int]:
    """Every figure, the headline ones present even when zero."""
    figures = {name: 0 for name in (FAULTS, HOSTILE, LOST, DUPLICATED, ROUNDS)}
    figures.update(_totals)
    return figures

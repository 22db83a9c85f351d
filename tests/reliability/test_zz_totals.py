"""The suite's figures for the README; runs last (files run in name order).

``pytest -s tests/reliability`` prints them. Alone (``-k totals``) the counts are zero,
and the losses must be zero whatever ran before.
"""

from __future__ import annotations

from tests.reliability import ledger


def test_print_the_totals_and_no_event_was_lost() -> None:
    figures = ledger.totals()
    print("\nreliability suite:")
    for name, count in figures.items():
        print(f"  {name}: {count}")
    assert figures[ledger.LOST] == 0
    assert figures[ledger.DUPLICATED] == 0

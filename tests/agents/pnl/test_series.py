"""The pnl table: latest snapshot, one point per second, bounded history."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

from agents.pnl.agent import build
from agents.pnl.series import SeriesFold, present
from agents.pnl.state import PnlSeries
from schemas import PnlSnapshot
from tests.factories import BTC, T0

SECOND = 1_000_000_000


def snapshot(ts: int, realized: str, unrealized: str = "0", cause: str = "X") -> PnlSnapshot:
    data: dict[str, Any] = {
        "account": "ACC-1",
        "realized_pnl": realized,
        "unrealized_pnl": unrealized,
        "fees": {"USDT": "1.5"},
        "marks": {BTC: "100"},
        "cause": cause,
        "ts_event": ts,
    }
    return PnlSnapshot.model_validate(data)


def fold(snapshots: list[PnlSnapshot], max_points: int = 3_600) -> PnlSeries:
    series, step = PnlSeries(account="ACC-1"), SeriesFold(max_points=max_points)
    for item in snapshots:
        series = step.apply(series, item)
    return series


def test_the_last_snapshot_in_a_second_wins() -> None:
    series = fold(
        [
            snapshot(T0 + 200_000_000, "1"),
            snapshot(T0 + 700_000_000, "2", "5"),
            snapshot(T0 + SECOND + 1, "3"),
        ]
    )
    assert [(p.ts, p.realized, p.unrealized) for p in series.points] == [
        (T0, D("2"), D("5")),
        (T0 + SECOND, D("3"), D("0")),
    ]
    assert series.snapshots == 3


def test_a_late_snapshot_updates_the_last_point_never_the_past() -> None:
    series = fold([snapshot(T0 + 2 * SECOND, "1"), snapshot(T0 + 5, "9", cause="late")])
    assert [(p.ts, p.realized) for p in series.points] == [(T0 + 2 * SECOND, D("9"))]
    assert series.cause == "late"
    assert series.ts_event == T0 + 2 * SECOND


def test_history_keeps_the_latest_points_only() -> None:
    series = fold([snapshot(T0 + n * SECOND, str(n)) for n in range(5)], max_points=3)
    assert [p.realized for p in series.points] == [D(2), D(3), D(4)]


def test_present_gives_totals_and_points_as_text() -> None:
    series = fold([snapshot(T0, "-2.5", "4"), snapshot(T0 + SECOND, "1", "0.25", cause="X-9")])
    row = present("ACC-1", series, {})
    assert row["account"] == "ACC-1"
    assert (row["realized_pnl"], row["unrealized_pnl"], row["total_pnl"]) == ("1", "0.25", "1.25")
    assert row["fees"] == {"USDT": "1.5"}
    assert row["marks"] == {BTC: "100"}
    assert row["cause"] == "X-9"
    assert row["points"][0] == {
        "ts": T0,
        "realized_pnl": "-2.5",
        "unrealized_pnl": "4",
        "total_pnl": "1.5",
    }
    assert json.loads(json.dumps(row)) == row
    assert build().present is present

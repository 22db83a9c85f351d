"""The ``pnl`` table: each account's latest PnlSnapshot and its PnL over time.

The series holds one point per bucket of event time (1 s by default), the last snapshot
in a bucket winning, and keeps the latest ``max_points`` buckets (3,600: an hour at 1 s).
Snapshots are cumulative in log order, so a snapshot whose time falls before the last
bucket (a late fill) updates the last bucket rather than rewriting history: the series
never goes back in time and its last point is always the latest snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.pnl.state import PnlPoint, PnlSeries
from schemas import PnlSnapshot

BUCKET_NS = 1_000_000_000
MAX_POINTS = 3_600


class SeriesFold:
    def __init__(self, bucket_ns: int = BUCKET_NS, max_points: int = MAX_POINTS) -> None:
        if bucket_ns < 1 or max_points < 1:
            raise ValueError("the PnL series needs a positive bucket and at least one point")
        self.bucket_ns = bucket_ns
        self.max_points = max_points

    def apply(self, series: PnlSeries, snapshot: PnlSnapshot) -> PnlSeries:
        points = series.points
        bucket = snapshot.ts_event - snapshot.ts_event % self.bucket_ns
        point = PnlPoint(bucket, snapshot.realized_pnl, snapshot.unrealized_pnl)
        if points and points[-1].ts >= bucket:
            points[-1] = PnlPoint(points[-1].ts, point.realized, point.unrealized)
        else:
            points.append(point)
            if len(points) > self.max_points:
                del points[: len(points) - self.max_points]
        series.ts_event = max(series.ts_event, snapshot.ts_event)
        series.realized_pnl = snapshot.realized_pnl
        series.unrealized_pnl = snapshot.unrealized_pnl
        series.fees = dict(snapshot.fees)
        series.marks = {str(instrument): mark for instrument, mark in snapshot.marks.items()}
        series.cause = snapshot.cause
        series.snapshots += 1
        return series


def present(key: str, series: PnlSeries, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Account, realized, unrealized, total, fees, marks and the points (decimals as text)."""
    return {
        "account": series.account,
        "realized_pnl": str(series.realized_pnl),
        "unrealized_pnl": str(series.unrealized_pnl),
        "total_pnl": str(series.realized_pnl + series.unrealized_pnl),
        "fees": {currency: str(fee) for currency, fee in sorted(series.fees.items())},
        "marks": {instrument: str(mark) for instrument, mark in sorted(series.marks.items())},
        "cause": series.cause,
        "ts_event": series.ts_event,
        "snapshots": series.snapshots,
        "points": [
            {
                "ts": point.ts,
                "realized_pnl": str(point.realized),
                "unrealized_pnl": str(point.unrealized),
                "total_pnl": str(point.realized + point.unrealized),
            }
            for point in series.points
        ],
    }

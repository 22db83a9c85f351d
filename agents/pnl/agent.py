"""Wiring of the two pnl agents.

* ``pnl-marker`` (process, keyed by account): ``exec.reports`` fills -> ``pnl.snapshots``.
  It cannot read ``md.ticks`` (keyed by instrument), so it marks through the view.
* ``pnl`` (fold, keyed by account): ``pnl.snapshots`` -> the latest PnL and the PnL over
  time. ``tapeline query pnl`` may instead use ``read.pnl_rows`` for PnL marked at read
  time from the positions and tickers tables.
"""

from __future__ import annotations

from typing import Any

from agents.instruments import InstrumentRegistry
from agents.pnl.marker import PnlMarker
from agents.pnl.series import BUCKET_NS, MAX_POINTS, SeriesFold, present
from agents.pnl.state import PnlBook, PnlSeries
from streams.agent import Agent
from streams.topics import EXEC_REPORTS, PNL_SNAPSHOTS

MARKER = "pnl-marker"
NAME = "pnl"


def account_key(record: Any) -> str:
    return str(record.account)


def build_marker(registry: InstrumentRegistry) -> Agent[PnlBook]:
    marker = PnlMarker(registry)
    return Agent(
        name=MARKER,
        inputs=(EXEC_REPORTS,),
        kinds=frozenset({"fill"}),
        state_type=PnlBook,
        initial=lambda key: PnlBook(account=key),
        state_key=account_key,
        process=marker.process,
        output_topic=PNL_SNAPSHOTS,
    )


def build(bucket_ns: int = BUCKET_NS, max_points: int = MAX_POINTS) -> Agent[PnlSeries]:
    fold = SeriesFold(bucket_ns, max_points)
    return Agent(
        name=NAME,
        inputs=(PNL_SNAPSHOTS,),
        kinds=frozenset({"pnl_snapshot"}),
        state_type=PnlSeries,
        initial=lambda key: PnlSeries(account=key),
        state_key=account_key,
        evolve=fold.apply,
        present=present,
    )

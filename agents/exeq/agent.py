"""Wiring of the two exeq agents.

* ``exeq-analyzer`` (process, keyed by instrument): ``md.ticks`` + ``orders.events`` ->
  ``exeq.reports``. Working memory only; replay skips it.
* ``exeq`` (fold, keyed by ``account|order_id``): ``exeq.reports`` -> the table that
  ``tapeline query exeq`` reads (``present`` per order, ``summary_rows`` per account and
  instrument).
"""

from __future__ import annotations

from typing import Any

from agents.exeq.analyzer import (
    DEFAULT_REALIZED_SPREAD_DELTA_NS,
    ORDER_KINDS,
    TICK_KINDS,
    Analyzer,
)
from agents.exeq.state import ExeqBook, ExeqRow
from agents.exeq.table import apply_report, initial_row, present, row_key
from agents.instruments import InstrumentRegistry
from streams.agent import Agent
from streams.topics import EXEQ_REPORTS, MD_TICKS, ORDERS_EVENTS

ANALYZER = "exeq-analyzer"
NAME = "exeq"


def instrument_key(record: Any) -> str:
    return str(record.instrument)


def build_analyzer(
    registry: InstrumentRegistry,
    realized_spread_delta_ns: int = DEFAULT_REALIZED_SPREAD_DELTA_NS,
) -> Agent[ExeqBook]:
    analyzer = Analyzer(registry, realized_spread_delta_ns)
    return Agent(
        name=ANALYZER,
        inputs=(MD_TICKS, ORDERS_EVENTS),
        kinds=TICK_KINDS | ORDER_KINDS,
        state_type=ExeqBook,
        initial=lambda key: ExeqBook(instrument=key),
        state_key=instrument_key,
        process=analyzer.process,
        output_topic=EXEQ_REPORTS,
    )


def build() -> Agent[ExeqRow]:
    return Agent(
        name=NAME,
        inputs=(EXEQ_REPORTS,),
        kinds=frozenset({"execution_quality"}),
        state_type=ExeqRow,
        initial=initial_row,
        state_key=row_key,
        evolve=apply_report,
        present=present,
    )

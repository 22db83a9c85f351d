"""Wiring of the features agent.

``features`` (process, keyed by instrument): ``md.ticks`` (trades, quotes) ->
``features`` (FeatureVector). Working memory only; replay skips it. The ``features``
topic and the ``feature_vector`` kind must be registered by the lead (see record.py)
before the runtime can carry its output.
"""

from __future__ import annotations

from typing import Any, Final

from agents.features.fold import TICK_KINDS, process
from agents.features.state import FeatureBook
from streams.agent import Agent
from streams.topics import FEATURES, MD_TICKS

NAME: Final = "features"
"""The output topic (ARCHITECTURE.md: ``features``, keyed by instrument)."""


def instrument_key(record: Any) -> str:
    return str(record.instrument)


def build() -> Agent[FeatureBook]:
    return Agent(
        name=NAME,
        inputs=(MD_TICKS,),
        kinds=TICK_KINDS,
        state_type=FeatureBook,
        initial=lambda key: FeatureBook(instrument=key),
        state_key=instrument_key,
        process=process,
        output_topic=FEATURES,
    )

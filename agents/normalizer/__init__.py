"""Market data normalization: Tardis CSV, Binance and Coinbase JSON, synthetic ticks.

A library for the ingest side (not an Agent): the feed driver calls a ``Normalizer`` and
appends its output to ``md.ticks``. See ``normalizer.py`` for the order of the checks.
"""

from agents.normalizer.binance import parse_binance
from agents.normalizer.coinbase import parse_coinbase
from agents.normalizer.dedup import TradeDeduplicator
from agents.normalizer.fields import ts_from_iso8601
from agents.normalizer.gaps import GapDetector
from agents.normalizer.normalizer import (
    Normalized,
    Normalizer,
    NormalizerCounters,
    tardis_session,
)
from agents.normalizer.parsed import Problem, Sequenced
from agents.normalizer.synthetic import SYNTHETIC_INSTRUMENTS, synthetic_feed
from agents.normalizer.tardis import merge_tardis, parse_tardis, parse_tardis_stream

__all__ = [
    "SYNTHETIC_INSTRUMENTS",
    "GapDetector",
    "Normalized",
    "Normalizer",
    "NormalizerCounters",
    "Problem",
    "Sequenced",
    "TradeDeduplicator",
    "merge_tardis",
    "parse_binance",
    "parse_coinbase",
    "parse_tardis",
    "parse_tardis_stream",
    "synthetic_feed",
    "tardis_session",
    "ts_from_iso8601",
]

"""Small builders shared by the normalizer tests."""

from __future__ import annotations

import io
import json
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.normalizer import Problem, parse_tardis_stream
from agents.normalizer.tardis import TardisItem

REGISTRY = InstrumentRegistry()
TRADES_HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
QUOTES_HEADER = (
    "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
)
T_US = 1582329602111000
"""2020-02-22T00:00:02.111Z in microseconds, as Tardis writes it."""


def tardis(text: str | bytes) -> list[TardisItem]:
    data = text.encode() if isinstance(text, str) else text
    return list(parse_tardis_stream(io.BytesIO(data), registry=REGISTRY, source="test.csv"))


def only_problem(items: list[Any]) -> Problem:
    problems = [item for item in items if isinstance(item, Problem)]
    assert len(problems) == 1, items
    return problems[0]


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data)

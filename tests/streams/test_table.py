"""Table.fold dedup: by fact id for kinds with an identity of their own, else event id."""

from __future__ import annotations

from typing import Any

import pytest

from agents.registry import Config, agent_named, build_agents
from schemas import Fill
from streams.agent import Agent
from streams.codec import NATURAL_IDS, decode_payload, decoder_for, fact_id
from streams.state import Table
from tests import factories


def _decoded(record: Any) -> Any:
    return decode_payload(record.kind, record.model_dump_json())


def _positions() -> Agent[Any]:
    return agent_named(build_agents(Config()), "positions")


def test_the_fast_natural_id_is_the_schema_method() -> None:
    fill = factories.fill(exec_id="X-7", account="ACC-3")
    assert NATURAL_IDS["fill"] is Fill.natural_id
    assert fact_id("any", _decoded(fill)) == fill.natural_id() == "fill:ACC-3:X-7"
    assert fact_id("event-1", _decoded(factories.quote())) == "event-1"


def test_a_fill_under_another_event_id_folds_once() -> None:
    table = Table(_positions())
    fill = _decoded(factories.fill(exec_id="X-1", account="ACC-1"))
    assert table.fold("event-a", fill) is not None
    assert table.fold("event-b", fill) is None
    assert table.seen == {"fill:ACC-1:X-1"}


def test_quotes_repeat_by_event_id_and_trades_by_trade_id() -> None:
    table = Table(agent_named(build_agents(Config()), "tickers"))
    quote = _decoded(factories.quote())
    assert table.fold("q-1", quote) is not None
    assert table.fold("q-1", quote) is None
    assert table.fold("q-2", quote) is not None
    assert table.get(quote.instrument).quotes == 2
    trade = _decoded(factories.trade(trade_id="T-1"))
    assert table.fold("t-1", trade) is not None
    assert table.fold("t-2", trade) is None  # a trade is its venue trade id


def test_an_agent_without_evolve_refuses_to_fold() -> None:
    process_only = next(agent for agent in build_agents(Config()) if agent.evolve is None)
    with pytest.raises(AssertionError, match="has no evolve"):
        Table(process_only).fold("e-1", _decoded(factories.quote()))


def test_decoder_for_an_unknown_kind_is_none() -> None:
    assert decoder_for("no-such-kind") is None
    decode = decoder_for("quote")
    assert decode is not None
    assert decode(factories.quote().model_dump_json()).kind == "quote"

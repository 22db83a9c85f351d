"""The composition root: which agents exist and how they are built from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.instruments import InstrumentRegistry, load_instruments_toml
from agents.positions import agent as positions_agent
from agents.tickers import agent as tickers_agent
from streams.agent import Agent

INSTRUMENTS_FILE = "instruments.toml"
"""Instruments added with --instruments are kept here, so replay sees the same registry."""


def instrument_registry(data_dir: Path) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    extra = data_dir / INSTRUMENTS_FILE
    if extra.exists():
        registry = registry.extended(load_instruments_toml(extra))
    return registry


def build_agents(registry: InstrumentRegistry) -> list[Agent[Any]]:
    """Every agent, in the order the embedded runtime runs them."""
    return [tickers_agent.build(), positions_agent.build(registry)]

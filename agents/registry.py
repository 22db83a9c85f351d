"""The composition root: which agents exist and how they are built from configuration.

Configuration given on the command line (``--instruments``, ``--limits``) is copied into
the data dir, so that catchup and replay later build the very same agents.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.alerts import agent as alerts
from agents.compliance import agent as compliance
from agents.compliance.config import SurveillanceConfig, load_surveillance
from agents.exeq import agent as exeq
from agents.features import agent as features
from agents.instruments import InstrumentRegistry, load_instruments_toml
from agents.oms import agent as oms
from agents.orders import agent as orders
from agents.pnl import agent as pnl
from agents.positions import agent as positions
from agents.risk import RiskLimits, load_limits
from agents.tickers import agent as tickers
from agents.venue import agent as venue
from agents.view import TablesView
from schemas import TapelineError
from streams.agent import Agent
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.state import Table

INSTRUMENTS_FILE = "instruments.toml"
LIMITS_FILE = "limits.toml"
SURVEILLANCE_FILE = "surveillance.toml"


@dataclass(frozen=True)
class Config:
    registry: InstrumentRegistry = field(default_factory=InstrumentRegistry)
    limits: RiskLimits = field(default_factory=RiskLimits)
    surveillance: SurveillanceConfig = field(default_factory=SurveillanceConfig)


def adopt_config(
    data_dir: Path,
    instruments: Path | None,
    limits: Path | None,
    surveillance: Path | None = None,
) -> None:
    """Validate the given files and keep copies in the data dir for later commands."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if instruments is not None:
        load_instruments_toml(instruments)
        shutil.copyfile(instruments, data_dir / INSTRUMENTS_FILE)
    if limits is not None:
        load_limits(limits)
        shutil.copyfile(limits, data_dir / LIMITS_FILE)
    if surveillance is not None:
        load_surveillance(surveillance)
        shutil.copyfile(surveillance, data_dir / SURVEILLANCE_FILE)


def load_config(data_dir: Path) -> Config:
    registry = InstrumentRegistry()
    extra = data_dir / INSTRUMENTS_FILE
    if extra.exists():
        registry = registry.extended(load_instruments_toml(extra))
    limits_file = data_dir / LIMITS_FILE
    limits = load_limits(limits_file) if limits_file.exists() else RiskLimits()
    rules_file = data_dir / SURVEILLANCE_FILE
    rules = load_surveillance(rules_file) if rules_file.exists() else SurveillanceConfig()
    return Config(registry, limits, rules)


def instrument_registry(data_dir: Path) -> InstrumentRegistry:
    return load_config(data_dir).registry


def build_agents(config: Config) -> list[Agent[Any]]:
    """Every agent, in the order the embedded runtime hands each record to them.

    tickers come first: they are the view the OMS and the venue read.
    """
    return [
        tickers.build(),
        oms.build(config.registry, config.limits),
        venue.build(),
        positions.build(config.registry),
        pnl.build_marker(config.registry),
        pnl.build(),
        exeq.build_analyzer(config.registry),
        exeq.build(),
        orders.build(),
        compliance.build(config.limits, config.surveillance),
        alerts.build(),
        features.build(),
    ]


def embedded_runtime(journal: SqliteJournal, config: Config) -> EmbeddedRuntime:
    def view(tables: Mapping[str, Table[Any]]) -> TablesView:
        return TablesView(tables, config.registry)

    return EmbeddedRuntime(journal, build_agents(config), view)


def agent_named(agents: list[Agent[Any]], name: str) -> Agent[Any]:
    for agent in agents:
        if agent.name == name:
            return agent
    raise TapelineError(f"no agent named {name!r}")

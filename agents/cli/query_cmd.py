"""`tapeline query TABLE`: read the live tables."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from agents.cli.common import DataDir, Engine, EngineOpt, FormatOpt, OutputFormat, open_journal, out
from agents.registry import build_agents, instrument_registry
from streams.store import StateStore


class TableName(StrEnum):
    positions = "positions"
    tickers = "tickers"


def query(
    table: Annotated[TableName, typer.Argument(help="The table to read.")],
    data_dir: DataDir,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    output: FormatOpt = OutputFormat.table,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """Print a table; ``--format json`` prints a list of objects."""
    journal = open_journal(data_dir, must_exist=True)
    agents = {agent.name: agent for agent in build_agents(instrument_registry(data_dir))}
    store = StateStore(journal.db)
    tables = {name: store.load(agent).states for name, agent in agents.items()}
    journal.close_now()
    agent = agents[table.value]
    assert agent.present is not None
    rows: list[dict[str, Any]] = [
        agent.present(key, state, tables) for key, state in sorted(tables[table.value].items())
    ]
    if account is not None:
        rows = [row for row in rows if row.get("account") == account]
    if output is OutputFormat.json:
        out.print(json.dumps(rows), markup=False)
        return
    if not rows:
        out.print(f"{table.value}: no rows")
        return
    view = Table(*rows[0].keys(), title=table.value)
    for row in rows:
        view.add_row(*(_cell(value) for value in row.values()))
    out.print(view)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return str(value)

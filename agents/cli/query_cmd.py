"""`tapeline query TABLE`: read the live tables."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agents.cli import kafka_cmds
from agents.cli.common import (
    DataDir,
    Engine,
    EngineOpt,
    FormatOpt,
    NamespaceOpt,
    OutputFormat,
    open_journal,
    out,
)
from agents.cli.display import print_rows
from agents.registry import build_agents, load_config
from agents.tables import TABLE_COLUMNS, TableName, View, load_tables, read_rows


def query(
    table: Annotated[TableName, typer.Argument(help="The table to read.")],
    data_dir: DataDir,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    view: Annotated[
        View, typer.Option("--view", help="rows; summary (exeq); history (pnl).")
    ] = View.rows,
    output: FormatOpt = OutputFormat.table,
    engine: EngineOpt = Engine.embedded,
    namespace: NamespaceOpt = None,
) -> None:
    """Print a table; ``--format json`` prints a list of objects."""
    if engine is Engine.kafka:
        rows = kafka_cmds.query_rows(data_dir, table, namespace, view, account)
    else:
        journal = open_journal(data_dir, must_exist=True)
        config = load_config(data_dir)
        tables = load_tables(journal, build_agents(config))
        journal.close_now()
        rows = read_rows(table, tables, config, view, account)
    if output is OutputFormat.json:
        out.print(json.dumps(rows), markup=False)
        return
    print_rows(table.value, rows, TABLE_COLUMNS.get(table) if view is View.rows else None)

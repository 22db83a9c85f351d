"""`tapeline query TABLE`: read the live tables."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.table import Table

from agents.cli.common import DataDir, Engine, EngineOpt, FormatOpt, OutputFormat, open_journal, out
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
) -> None:
    """Print a table; ``--format json`` prints a list of objects."""
    journal = open_journal(data_dir, must_exist=True)
    config = load_config(data_dir)
    tables = load_tables(journal, build_agents(config))
    journal.close_now()
    rows = read_rows(table, tables, config, view, account)
    if output is OutputFormat.json:
        out.print(json.dumps(rows), markup=False)
        return
    print_rows(table.value, rows, TABLE_COLUMNS.get(table) if view is View.rows else None)


def print_rows(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...] | None) -> None:
    if not rows:
        out.print(f"{title}: no rows")
        return
    names = columns or tuple(rows[0])
    view = Table(*names, title=title)
    for row in rows:
        view.add_row(*(_cell(row.get(name)) for name in names))
    out.print(view)


DISPLAY_PLACES = 6
"""Terminal tables round long decimals to this many places; JSON output stays exact."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return _rounded(value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return (
            f"{len(value)} items"
            if value and isinstance(value[0], dict)
            else ", ".join(map(str, value)) or "-"
        )
    return str(value)


def _rounded(text: str) -> str:
    _, dot, fraction = text.partition(".")
    if not dot or len(fraction) <= DISPLAY_PLACES or not fraction.isdigit():
        return text
    try:
        return f"{round(Decimal(text), DISPLAY_PLACES):f}"
    except InvalidOperation:
        return text

"""`tapeline sql "SELECT ..."`: read-only ClickHouse SQL over the log's views."""

from __future__ import annotations

from typing import Annotated

import typer

from agents.audit.db import AuditDb
from agents.audit.guard import run_sql
from agents.audit.render import AuditFormat, to_csv, to_json
from agents.cli.audit_cmd import journal_path
from agents.cli.common import DataDir, Engine, EngineOpt, out
from agents.cli.display import print_rows


def sql(
    statement: Annotated[
        str,
        typer.Argument(
            help="One SELECT over events, commands, risk_decisions, orders, fills, ticks."
        ),
    ],
    data_dir: DataDir,
    output: Annotated[AuditFormat, typer.Option("--format", help="table, json or csv")] = (
        AuditFormat.table
    ),
    engine: EngineOpt = Engine.embedded,
) -> None:
    """Run one read-only SELECT (chDB, in-process) over the journal's views."""
    with AuditDb.open(journal_path(data_dir)) as db:
        columns, rows = run_sql(db, statement)
    if output is AuditFormat.json:
        out.print(to_json(rows), markup=False)
    elif output is AuditFormat.csv:
        out.file.write(to_csv(rows, columns))
    else:
        print_rows("sql", rows, tuple(columns))

"""`tapeline audit order|positions|fills|reindex`: answers from the log itself.

``order`` reads through the order-id index kept beside the journal
(``agents.audit.order_index``); ``positions`` and ``fills`` ask chDB over SQLite. What
only ``positions`` and ``fills`` need (the agents' registry, the replay, chDB) is
imported inside them, so ``audit order`` does not pay for it at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from agents.audit.db import AuditDb, AuditError
from agents.audit.order import TRAIL_COLUMNS, order_trail
from agents.audit.order_index import CHUNK, OrderIndex
from agents.audit.render import AuditFormat, all_columns, to_csv, to_json
from agents.cli.common import DataDir, Engine, EngineOpt, out, progress_bar
from agents.cli.display import print_rows
from streams.sqlite_journal import JOURNAL_FILE

app = typer.Typer(
    help="Audit answers from the log: an order's life, positions as of a time, fills.",
    no_args_is_help=True,
)
AuditFormatOpt = Annotated[AuditFormat, typer.Option("--format", help="table, json or csv")]


def journal_path(data_dir: Path) -> Path:
    """The journal file; audits never hold it open while chDB reads it (agents.audit.db)."""
    path = data_dir / JOURNAL_FILE
    if not path.exists():
        raise AuditError(
            f"no journal in {data_dir}; append records or run `tapeline run` first "
            "(or pass --data-dir)"
        )
    return path


def _emit(
    title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], output: AuditFormat
) -> None:
    if output is AuditFormat.json:
        out.print(to_json(rows), markup=False)
    elif output is AuditFormat.csv:
        out.file.write(to_csv(rows, all_columns(rows) or list(columns)))
    else:
        print_rows(title, list(rows), tuple(columns))


def parse_time(option: str, value: str | None) -> int | None:
    """An ISO-8601 time with a zone, or integer ns since the epoch."""
    if value is None:
        return None
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AuditError(
            f"{option} {value!r} is neither ns since the epoch nor an ISO time"
        ) from None
    if moment.tzinfo is None:
        raise AuditError(f"{option} {value!r} has no time zone; add Z or +00:00")
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


@app.command("order")
def order(
    cl_ord_id: Annotated[str, typer.Argument(help="Any ClOrdID of the order or a request.")],
    data_dir: DataDir,
    account: Annotated[str | None, typer.Option("--account", help="The order's account.")] = None,
    output: AuditFormatOpt = AuditFormat.table,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """The order's whole life in log order: commands, risk, order events, fills."""
    with OrderIndex(journal_path(data_dir)) as index:
        _catch_up(index)
        trail = order_trail(index, cl_ord_id, account)
    title = (
        f"order {cl_ord_id} ({trail.account}; order ids {', '.join(trail.order_ids) or '-'}; "
        f"ClOrdIDs {', '.join(trail.cl_ord_ids)})"
    )
    _emit(title, trail.entries, TRAIL_COLUMNS, output)


def _catch_up(index: OrderIndex) -> int:
    """Index the journal's new tail; a bar when that is more than a moment (a first
    audit of a big log)."""
    if index.pending() <= CHUNK:
        return index.catch_up()
    with progress_bar() as progress:
        task = progress.add_task("index order ids", total=index.pending())
        return index.catch_up(lambda done, total: progress.update(task, completed=done))


@app.command("reindex")
def reindex(data_dir: DataDir) -> None:
    """Drop and rebuild the order-id index beside the journal (derived data; `audit order`
    keeps it up to date by itself)."""
    with OrderIndex(journal_path(data_dir)) as index:
        index.drop()
        indexed = _catch_up(index)
    out.print(f"order-id index rebuilt up to seq {indexed}", markup=False)


@app.command("positions")
def positions(
    data_dir: DataDir,
    as_of: Annotated[
        str, typer.Option("--as-of", help="A global seq, or an ISO time (event time).")
    ],
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    output: AuditFormatOpt = AuditFormat.table,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """Positions as they stood, equal to `tapeline replay --until` (checked against SQL)."""
    from agents.audit.positions import POSITION_COLUMNS, positions_as_of
    from agents.cli.replay_cmd import parse_until
    from agents.registry import load_config

    until = parse_until(as_of)
    answer = positions_as_of(journal_path(data_dir), load_config(data_dir), until)
    rows = [row for row in answer.rows if account is None or row["account"] == account]
    title = f"positions as of {as_of} (replayed to seq {answer.end_seq}; hash {answer.hash[:16]})"
    _emit(title, rows, POSITION_COLUMNS, output)


@app.command("fills")
def fills(
    data_dir: DataDir,
    account: Annotated[str, typer.Option("--account", help="The account.")],
    start: Annotated[
        str | None, typer.Option("--from", help="ISO time or ns; inclusive (event time).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="ISO time or ns; inclusive (event time).")
    ] = None,
    output: AuditFormatOpt = AuditFormat.table,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """An account's fills in log order; `counted` is false for a repeated event id."""
    from agents.audit.positions import FILL_COLUMNS, fills_of

    start_ns, end_ns = parse_time("--from", start), parse_time("--to", end)
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        raise AuditError("--from is after --to")
    with AuditDb.open(journal_path(data_dir)) as db:
        rows = fills_of(db, account, start_ns, end_ns)
    _emit(f"fills of {account}", rows, FILL_COLUMNS, output)

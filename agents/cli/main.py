"""The `tapeline` command line (CLI.md)."""

from __future__ import annotations

import sys

import typer

from agents.cli import (
    audit_cmd,
    auth_cmd,
    features_cmd,
    log_cmd,
    query_cmd,
    replay_cmd,
    run_cmd,
    schemas_cmd,
    serve_cmd,
    sql_cmd,
    worker_cmd,
)
from agents.cli.common import err
from schemas import TapelineError

app = typer.Typer(
    name="tapeline",
    help="Tapeline: an event-sourced trading backend you can replay and audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(log_cmd.app, name="log")
app.add_typer(schemas_cmd.app, name="schemas")
app.add_typer(auth_cmd.app, name="auth")
app.command("serve")(serve_cmd.serve)
app.command("worker")(worker_cmd.worker)
app.add_typer(audit_cmd.app, name="audit")
app.command("sql")(sql_cmd.sql)
app.add_typer(features_cmd.app, name="features")
app.command("run")(run_cmd.run)
app.command("catchup")(replay_cmd.catchup)
app.command("replay")(replay_cmd.run_replay)
app.command("snapshot")(replay_cmd.snapshot)
app.command("query")(query_cmd.query)

EXIT_ERROR = 2
EXIT_BUG = 70


def run_cli() -> None:
    """Entry point: one clear line on stderr for any error, never a traceback."""
    try:
        app(prog_name="tapeline")
    except TapelineError as error:
        err.print(f"error: {error}", markup=False)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as error:
        err.print(f"internal error ({type(error).__name__}): {error}", markup=False)
        sys.exit(EXIT_BUG)

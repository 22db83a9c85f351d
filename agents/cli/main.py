"""The `tapeline` command line (CLI.md).

Subcommands are imported lazily: a run of `tapeline audit order X` imports the audit
module only, not faust, FastAPI or chDB, so a one-off question costs the question and
Python's start-up, not the whole product's import time. `--help` and an unknown name
import everything (to list it, or to let typer name the mistake).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from agents.cli.common import err
from schemas import TapelineError

HELP = "Tapeline: an event-sourced trading backend you can replay and audit."

COMMANDS: dict[str, tuple[str, str]] = {
    "log": ("log_cmd", "app"),
    "schemas": ("schemas_cmd", "app"),
    "auth": ("auth_cmd", "app"),
    "serve": ("serve_cmd", "serve"),
    "worker": ("worker_cmd", "worker"),
    "audit": ("audit_cmd", "app"),
    "sql": ("sql_cmd", "sql"),
    "features": ("features_cmd", "app"),
    "run": ("run_cmd", "run"),
    "catchup": ("replay_cmd", "catchup"),
    "replay": ("replay_cmd", "run_replay"),
    "snapshot": ("replay_cmd", "snapshot"),
    "query": ("query_cmd", "query"),
}
"""Command name -> (module in agents.cli, attribute): a Typer group or a command function."""


def build_app(names: Sequence[str] = tuple(COMMANDS)) -> typer.Typer:
    """The CLI with the named commands registered (all of them by default)."""
    app = typer.Typer(
        name="tapeline",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def main() -> None:
        """Tapeline: an event-sourced trading backend you can replay and audit."""
        # A callback keeps typer in group mode when only one command is registered.

    for name in names:
        module_name, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(f"agents.cli.{module_name}"), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _requested(argv: Sequence[str]) -> Sequence[str]:
    """Only the command the arguments name, when they name one; else every command."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return (first,) if first in COMMANDS else tuple(COMMANDS)


EXIT_ERROR = 2
EXIT_BUG = 70


def run_cli() -> None:
    """Entry point: one clear line on stderr for any error, never a traceback."""
    try:
        build_app(_requested(sys.argv[1:]))(prog_name="tapeline")
    except TapelineError as error:
        err.print(f"error: {error}", markup=False)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as error:
        err.print(f"internal error ({type(error).__name__}): {error}", markup=False)
        sys.exit(EXIT_BUG)

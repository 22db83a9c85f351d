"""Options every command shares, and opening the data dir."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas import TapelineError
from streams.sqlite_journal import JOURNAL_FILE, Durability, SqliteJournal

_PIPE_WIDTH = 200
"""Tables written to a pipe or file are not squeezed to 80 columns."""

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
for _console in (out, err):
    if not _console.is_terminal:
        _console.width = _PIPE_WIDTH


class Engine(StrEnum):
    embedded = "embedded"
    kafka = "kafka"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def _default_data_dir() -> Path:
    return Path(os.environ.get("TAPELINE_DATA_DIR", "./tapeline-data"))


DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        help="Where the journal and tables live ($TAPELINE_DATA_DIR).",
        default_factory=_default_data_dir,
        show_default="./tapeline-data",
    ),
]
EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="embedded: the SQLite journal, no server; kafka: faust workers on $TAPELINE_KAFKA.",
    ),
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        envvar="TAPELINE_NAMESPACE",
        help="Prefix of Kafka topics and consumer groups ($TAPELINE_NAMESPACE).",
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json")]


def durability() -> Durability:
    mode = os.environ.get("TAPELINE_DURABILITY", "normal").lower()
    if mode not in ("normal", "full"):
        raise TapelineError(f"TAPELINE_DURABILITY must be normal or full, not {mode!r}")
    return "full" if mode == "full" else "normal"


def open_journal(data_dir: Path, *, must_exist: bool = False) -> SqliteJournal:
    if must_exist and not (data_dir / JOURNAL_FILE).exists():
        raise TapelineError(
            f"no journal in {data_dir}; append records or run `tapeline run` first "
            "(or pass --data-dir)"
        )
    try:
        return SqliteJournal.in_dir(data_dir, durability())
    except OSError as error:
        raise TapelineError(f"cannot open the journal in {data_dir}: {error}") from None


def progress_bar(*, always: bool = False) -> Progress:
    """The one progress display of long work (replay, ingest, indexing, benchmarks), on
    stderr so stdout stays parseable; off when stderr is not a terminal, unless
    ``always`` (the benchmarks show it in any case)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not (always or err.is_terminal),
    )

"""`tapeline schemas export DIR`: a JSON Schema per record kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from schemas import KINDS, Envelope, TapelineError

app = typer.Typer(help="The record schemas.", no_args_is_help=True)


@app.command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write the files.")]) -> None:
    """Write KIND.schema.json for every record kind, and envelope.schema.json."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        documents = {
            kind: model.model_json_schema(mode="serialization") for kind, model in KINDS.items()
        }
        documents["envelope"] = Envelope.model_json_schema(mode="serialization")
        for name, document in sorted(documents.items()):
            (directory / f"{name}.schema.json").write_text(json.dumps(document, indent=2) + "\n")
    except OSError as error:
        raise TapelineError(f"cannot write schemas to {directory}: {error.strerror}") from None
    typer.echo(f"wrote {len(documents)} schemas to {directory}")

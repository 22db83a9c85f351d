"""`tapeline features push`: feature vectors from the log into the Feast store."""

from __future__ import annotations

import typer

from agents.cli.common import DataDir, err, open_journal, out

app = typer.Typer(help="The Feast feature pipeline (pip install 'tapeline[features]').")


@app.command()
def push(data_dir: DataDir) -> None:
    """Push every new `features` record ONLINE_AND_OFFLINE to Feast (Valkey online store
    at $TAPELINE_VALKEY); resumes from its checkpoint, backs off while Valkey is down."""
    from agents.feature_store import FeaturePusher

    journal = open_journal(data_dir, must_exist=True)
    try:
        counters = FeaturePusher(journal).run_until_caught_up()
    finally:
        journal.close_now()
    err.print(f"feature push: {counters}", markup=False)
    out.print("features pushed", markup=False)

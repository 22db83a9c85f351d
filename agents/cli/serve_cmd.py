"""`tapeline serve`: the REST gateway (uvicorn) over the data dir's embedded engine."""

from __future__ import annotations

from typing import Annotated

import typer

from agents.cli.common import DataDir, Engine, EngineOpt, durability
from schemas import TapelineError


def serve(
    data_dir: DataDir,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; loopback unless you mean it.")
    ] = "127.0.0.1",
    engine: EngineOpt = Engine.embedded,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--no-live",
            help="WebSocket /ws and risk.check over NATS at $TAPELINE_NATS (deploy/up nats).",
        ),
    ] = False,
) -> None:
    """Serve the REST gateway (OpenAPI at /openapi.json, docs at /docs).

    The gateway owns the data dir's runtime: run no `tapeline run` or `catchup` on the
    same data dir while it serves. Create keys with `tapeline auth create-key`.
    """
    import uvicorn

    from agents.gateway import create_app

    app = create_app(data_dir, durability=durability(), live=live)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            access_log=True,
            server_header=False,
            proxy_headers=False,
            log_level="info",
        )
    except OSError as error:
        raise TapelineError(f"cannot serve on {host}:{port}: {error}") from None

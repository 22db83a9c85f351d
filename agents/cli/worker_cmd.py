"""`tapeline worker --engine kafka --agents a,b,...`: one faust worker (cluster mode).

Workers started with the same ``--namespace`` form one consumer group and share the
partitions; each needs its own ``--data-dir`` (its RocksDB files live there).

``tapeline worker`` supervises: it checks its arguments, then runs the faust worker in a
child process (``--once``, hidden) and starts it again when it crashes or gives up (a
write the broker refused, a stalled consumer): see ``streams.faust_worker.supervise``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from agents.cli.common import DataDir
from agents.registry import Config, build_agents, load_config
from agents.tickers.agent import NAME as TICKERS
from agents.view import TablesView
from schemas import TapelineError
from streams.agent import Agent
from streams.faust_app import WorkerConfig
from streams.faust_worker import run_worker, supervise
from streams.kafka_log import DEFAULT_BOOTSTRAP
from streams.state import Table

ALL = "all"


def bootstrap() -> str:
    return os.environ.get("TAPELINE_KAFKA", DEFAULT_BOOTSTRAP)


def namespace_of(namespace: str | None) -> str:
    value = namespace or os.environ.get("TAPELINE_NAMESPACE", "")
    if not value:
        raise TapelineError("cluster mode needs --namespace NAME (or $TAPELINE_NAMESPACE)")
    return value


def select_agents(config: Config, names: str) -> list[Agent[Any]]:
    agents = build_agents(config)
    if names == ALL:
        return agents
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    known = {agent.name: agent for agent in agents}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise TapelineError(
            f"no agent named {', '.join(unknown)}; the agents are: {', '.join(known)}"
        )
    return [agent for agent in agents if agent.name in wanted]


def worker_config(
    data_dir: Path, names: str, namespace: str, store: str = "rocksdb://"
) -> WorkerConfig:
    config = load_config(data_dir)
    agents = select_agents(config, names)

    def view(tables: Mapping[str, Table[Any]]) -> TablesView:
        return TablesView(tables, config.registry)

    reference = next(a for a in build_agents(config) if a.name == TICKERS)
    return WorkerConfig(
        namespace=namespace,
        bootstrap=bootstrap(),
        agents=agents,
        data_dir=data_dir,
        view_factory=view,
        reference=reference,
        store=store,
    )


def worker(
    data_dir: DataDir,
    agents: Annotated[str, typer.Option("--agents", help="a,b,... or all")] = ALL,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Prefix of topics and groups.")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="kafka (workers are cluster mode)")
    ] = "kafka",
    store: Annotated[str, typer.Option("--store", help="rocksdb:// or memory://")] = "rocksdb://",
    once: Annotated[
        bool, typer.Option("--once", hidden=True, help="Run unsupervised (the child).")
    ] = False,
) -> None:
    """A long-running faust stream worker, restarted if it crashes; stop it with SIGTERM
    or Ctrl-C."""
    if engine != "kafka":
        raise TapelineError("tapeline worker runs the kafka engine; use --engine kafka")
    ns = namespace_of(namespace)
    config = worker_config(data_dir, agents, ns, store)  # bad arguments fail here, once
    if once:
        run_worker(config)
        return
    child = [sys.executable, "-m", "agents.cli.worker_cmd", "--once", "--agents", agents,
             "--namespace", ns, "--store", store, "--data-dir", str(data_dir)]  # fmt: skip
    code = supervise(child, data_dir)
    if code:
        raise typer.Exit(code)


def main() -> None:
    """``python -m agents.cli.worker_cmd``: the worker alone (subprocesses of run/tests)."""
    from agents.cli.common import err

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(worker)
    try:
        app()
    except TapelineError as error:
        err.print(f"error: {error}", markup=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

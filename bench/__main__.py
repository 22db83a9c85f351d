"""`python -m bench NAME [--json]`: run one benchmark and print JSON or a table."""

from __future__ import annotations

from typing import Annotated

import typer

from bench import all as suite
from bench import (
    audit,
    compliance,
    fanout,
    folds,
    gateway,
    journal,
    kafka_pipeline,
    oms,
    questdb_sink,
)
from bench.folds import BLOCK
from bench.harness import emit

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def main() -> None:
    """Tapeline benchmarks: each prints JSON (--json) or a table, with the machine."""


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command("journal")
def journal_bench(
    as_json: JsonOpt = False,
    events: Annotated[int, typer.Option("--events", min=1000)] = 200_000,
) -> None:
    """Journal append, read+decode, replay (and its ratio to read+decode), peak memory."""
    emit("journal", journal.run(events), as_json)


@app.command("oms")
def oms_bench(
    as_json: JsonOpt = False,
    rate: Annotated[float, typer.Option("--rate", min=0, help="Orders/s offered; 0: max.")] = 5000,
    duration: Annotated[float, typer.Option("--duration", min=0.1, help="Seconds.")] = 5,
) -> None:
    """Order -> accepted latency (HDR, coordinated omission accounted) at an offered rate."""
    emit("oms", oms.run(rate, duration), as_json)


@app.command("folds")
def folds_bench(
    as_json: JsonOpt = False,
    fills: Annotated[int, typer.Option("--fills", min=BLOCK)] = 100_000,
    checks: Annotated[int, typer.Option("--checks", min=100)] = 20_000,
    ticks: Annotated[int, typer.Option("--ticks", min=100)] = 20_000,
    orders: Annotated[int, typer.Option("--orders", min=0)] = 1_000,
) -> None:
    """Positions cost per fill vs history, positions+PnL fills/s, risk check, table folds."""
    emit("folds", folds.run(fills, checks, ticks, orders), as_json)


@app.command("questdb-sink")
def questdb_sink_bench(
    as_json: JsonOpt = False,
    rows: Annotated[int, typer.Option("--rows", min=1000)] = 200_000,
) -> None:
    """sink-ticks rows/s beside the questdb client writing the same rows (needs QuestDB up)."""
    emit("questdb-sink", questdb_sink.run(rows), as_json)


@app.command("gateway")
def gateway_bench(
    as_json: JsonOpt = False,
    rate: Annotated[float, typer.Option("--rate", min=1)] = 100,
    duration: Annotated[float, typer.Option("--duration", min=0.1)] = 5,
) -> None:
    """REST /risk/check and order -> decision latency over HTTP (open loop)."""
    emit("gateway", gateway.run(rate, duration), as_json)


@app.command("kafka-pipeline")
def kafka_pipeline_bench(
    as_json: JsonOpt = False,
    ticks: Annotated[int, typer.Option("--ticks", min=100)] = 20_000,
    orders: Annotated[int, typer.Option("--orders", min=0)] = 500,
) -> None:
    """The faust pipeline (1 and 2 workers) beside raw aiokafka; order latency over Kafka."""
    emit("kafka-pipeline", kafka_pipeline.run(ticks=ticks, orders=orders), as_json)


@app.command("audit")
def audit_bench(
    as_json: JsonOpt = False,
    events: Annotated[int, typer.Option("--events", min=10_000)] = 1_000_000,
) -> None:
    """audit order latency (p50/p99) on a journal of N events; chDB sink-alt rows/s."""
    emit("audit", audit.run(events), as_json)


@app.command("fanout")
def fanout_bench(
    as_json: JsonOpt = False,
    clients: Annotated[int, typer.Option("--clients", min=1)] = 100,
    messages: Annotated[int, typer.Option("--messages", min=1)] = 1000,
    rate: Annotated[float, typer.Option("--rate", min=1)] = 200,
) -> None:
    """WebSocket fan-out through NATS to N clients: frames/s delivered, lag p50/p99."""
    emit("fanout", fanout.run(clients, messages, rate), as_json)


@app.command("compliance")
def compliance_bench(
    as_json: JsonOpt = False,
    events: Annotated[int, typer.Option("--events", min=1000)] = 100_000,
) -> None:
    """Compliance surveillance and features events/s, in-process."""
    emit("compliance", compliance.run(events), as_json)


app.command("all")(suite.all_command)
app.command("nautilus")(suite.nautilus_command)
app.command("scaling")(suite.scaling_command)


if __name__ == "__main__":
    app()

"""`python -m bench all`: every benchmark in one run, one JSON document, one markdown table.

Benchmarks run one after the other in this process (a 2-core shared machine: nothing runs
beside them on purpose), under one rich progress display; each keeps its own bars.
Comparisons (Tapeline vs NautilusTrader, replay vs read+decode, pipeline vs raw aiokafka,
sink vs the bare questdb client) are measured side by side inside their benchmark, in
the same run. A benchmark whose service (Kafka, QuestDB, NATS) does not answer is
recorded as ``skipped`` with the reason; one that raises is recorded as ``error``: this
is a measurement, not a test, so the suite carries on and says what is missing.

``--quick`` shrinks every size so the whole suite takes about a minute (smoke runs,
tests); the default sizes are the ones the README's table reports.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from bench import report
from bench.harness import err, machine, out, progress

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parent.parent / "README.md"


@dataclass(frozen=True)
class Plan:
    """Every size the suite uses; ``quick()`` and ``full()`` are the two presets."""

    mode: str
    journal_events: int
    nautilus_fills: int
    nautilus_max: int
    nautilus_block: int
    scaling_sizes: tuple[int, ...]
    oms_rates: tuple[float, ...]
    oms_duration: float
    folds: dict[str, int] = field(default_factory=dict)
    questdb_rows: int = 200_000
    kafka: dict[str, int] = field(default_factory=dict)
    gateway_duration: float = 5
    audit_events: int = 1_000_000
    fanout: tuple[int, int, float] = (100, 1000, 200)
    compliance_events: int = 100_000
    out: Path = RESULTS
    """Where the PNG plots go (the JSON and markdown are written by ``write``)."""

    @classmethod
    def full(cls) -> Plan:
        return cls(
            mode="full", journal_events=200_000, nautilus_fills=100_000,
            nautilus_max=100_000, nautilus_block=1000,
            scaling_sizes=(10_000, 100_000, 1_000_000), oms_rates=(1000, 5000, 10_000),
            oms_duration=5, folds={"fills": 100_000, "checks": 20_000, "ticks": 20_000,
                                   "orders": 1000},
        )  # fmt: skip

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            mode="quick", journal_events=5000, nautilus_fills=2000, nautilus_max=2000,
            nautilus_block=500, scaling_sizes=(2000, 10_000), oms_rates=(1000, 5000, 10_000),
            oms_duration=0.5, folds={"fills": 2000, "checks": 500, "ticks": 1000, "orders": 50},
            questdb_rows=5000, kafka={"ticks": 2000, "orders": 50, "latency_orders": 200},
            gateway_duration=0.5, audit_events=10_000, fanout=(5, 50, 200),
            compliance_events=2000,
        )  # fmt: skip


# -- services ------------------------------------------------------------------------------


def _reachable(host: str, port: int) -> str | None:
    """None when ``host:port`` accepts a TCP connection, else why not."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return None
    except OSError as error:
        return f"{host}:{port} unreachable ({error.strerror or error})"


def kafka_down() -> str | None:
    from streams.kafka_log import DEFAULT_BOOTSTRAP

    first = os.environ.get("TAPELINE_KAFKA", DEFAULT_BOOTSTRAP).split(",")[0]
    host, _, port = first.rpartition(":")
    reason = _reachable(host or "127.0.0.1", int(port or 9092))
    return f"Kafka down: {reason}" if reason else None


def questdb_down() -> str | None:
    from agents.sink_ticks import conf_from_env
    from bench.questdb_sink import DEFAULT_CONF

    conf = conf_from_env() or DEFAULT_CONF
    addr = next((p[5:] for p in conf.split(";") if p.startswith("addr=")), "127.0.0.1:9000")
    host, _, port = addr.rpartition(":")
    reason = _reachable(host, int(port))
    return f"QuestDB down: {reason}" if reason else None


def nats_down() -> str | None:
    from streams.nats_bus import DEFAULT_NATS_URL

    url = urlparse(os.environ.get("TAPELINE_NATS", DEFAULT_NATS_URL).split(",")[0])
    reason = _reachable(url.hostname or "127.0.0.1", url.port or 4222)
    return f"NATS down: {reason}" if reason else None


# -- the benchmarks ----------------------------------------------------------------------


GATEWAY_RATES = (200, 500, 1000)
"""Offered request rates for the gateway (the target is stated at 1,000/s)."""


def gateway_sweep(rates: tuple[float, ...], duration: float) -> dict[str, Any]:
    """``/risk/check`` and ``POST /orders`` at each offered rate in turn."""
    from bench import gateway

    return {f"rate_{int(rate)}": gateway.run(rate, duration) for rate in rates}


def oms_sweep(rates: tuple[float, ...], duration: float) -> dict[str, Any]:
    """Each offered rate in turn until one is not kept up with (saturation), then max."""
    from bench import oms

    results: dict[str, Any] = {}
    saturated: float | None = None
    for rate in rates:
        point = oms.run(rate, duration)
        results[f"rate_{int(rate)}"] = point
        if point["achieved_rate"] < 0.95 * rate:
            saturated = rate
            break
    results["max"] = oms.run(0, duration)
    results["saturated_at_offered_rate"] = saturated
    return results


def nautilus_bench(plan: Plan) -> dict[str, Any]:
    from bench import nautilus, scaling

    result = nautilus.run(plan.nautilus_fills, plan.nautilus_max, plan.nautilus_block)
    if "skipped" not in result:
        scaling.plot_positions(result, plan.out / f"positions-{plan.mode}.png")
    return result


def scaling_bench(plan: Plan) -> dict[str, Any]:
    from bench import scaling

    result = scaling.run(plan.scaling_sizes)
    scaling.plot(result, plan.out / f"scaling-{plan.mode}.png")
    return result


Runner = Callable[[Plan], dict[str, Any]]


def benches() -> list[tuple[str, Callable[[], str | None] | None, Runner]]:
    """(name, service check or None, runner), in the order they run."""
    from bench import (
        audit,
        compliance,
        fanout,
        folds,
        journal,
        kafka_pipeline,
        questdb_sink,
    )

    return [
        ("journal", None, lambda p: journal.run(p.journal_events)),
        ("scaling", None, scaling_bench),
        ("nautilus", None, nautilus_bench),
        ("folds", None, lambda p: folds.run(**p.folds)),
        ("oms", None, lambda p: oms_sweep(p.oms_rates, p.oms_duration)),
        ("compliance", None, lambda p: compliance.run(p.compliance_events)),
        ("audit", None, lambda p: audit.run(p.audit_events)),
        ("gateway", None, lambda p: gateway_sweep(GATEWAY_RATES, p.gateway_duration)),
        ("questdb-sink", questdb_down, lambda p: questdb_sink.run(p.questdb_rows)),
        ("kafka-pipeline", kafka_down, lambda p: kafka_pipeline.run(**p.kafka)),
        ("fanout", nats_down, lambda p: fanout.run(*p.fanout)),
    ]


def run_all(plan: Plan, only: set[str] | None = None) -> dict[str, Any]:
    """The whole suite as one JSON-ready document (never raises for one bench's failure)."""
    chosen = [b for b in benches() if only is None or b[0] in only]
    entries: dict[str, Any] = {}
    began = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("bench all", total=len(chosen))
        for name, down, runner in chosen:
            bar.update(task, description=f"bench all: {name}")
            reason = down() if down is not None else None
            if reason is not None:
                entries[name] = {"status": "skipped", "reason": reason}
            else:
                entries[name] = _run_one(runner, plan)
            bar.advance(task)
    return {
        "suite": "tapeline",
        "mode": plan.mode,
        "machine": machine(),
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(time.perf_counter() - began, 1),
        "benchmarks": entries,
    }


def _run_one(runner: Runner, plan: Plan) -> dict[str, Any]:
    begin = time.perf_counter()
    try:
        results = runner(plan)
    except Exception as error:  # a benchmark's failure is a result, not a crash
        return {"status": "error", "reason": f"{type(error).__name__}: {error}"[:300]}
    seconds = round(time.perf_counter() - begin, 2)
    if "skipped" in results:
        return {"status": "skipped", "reason": results["skipped"], "seconds": seconds}
    return {"status": "ok", "seconds": seconds, "results": results}


def write(document: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """``all-MODE.json`` and ``all-MODE.md`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"all-{document['mode']}"
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(document, indent=1) + "\n")  # run order kept
    md_path.write_text(report.markdown(document))
    return json_path, md_path


# -- typer commands (registered by bench/__main__.py) -------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON document.")]


def all_command(
    as_json: JsonOpt = False,
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes (about a minute).")] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these benchmarks.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where JSON/markdown/PNG go.")] = RESULTS,
    readme: Annotated[bool, typer.Option("--readme", help="Update README's table.")] = False,
) -> None:
    """Every benchmark: one JSON document + a markdown table (+ PNG plots) in bench/results."""
    plan = replace(Plan.quick() if quick else Plan.full(), out=out_dir)
    document = run_all(plan, set(only) if only else None)
    json_path, md_path = write(document, out_dir)
    if readme:
        report.update_readme(README, document)
    if as_json:
        out.print(json.dumps(document, sort_keys=True), markup=False)
    else:
        out.print(md_path.read_text(), markup=False)
    err.print(f"wrote {json_path} and {md_path}")


def nautilus_command(
    as_json: JsonOpt = False,
    fills: Annotated[int, typer.Option("--fills", min=100)] = 100_000,
    nautilus_max: Annotated[int, typer.Option("--nautilus-max", min=100)] = 20_000,
    block: Annotated[int, typer.Option("--block", min=100)] = 1000,
) -> None:
    """Positions fold vs NautilusTrader's Position.apply on the same fills (equality asserted)."""
    from bench import nautilus
    from bench.harness import emit

    result = nautilus.run(fills, nautilus_max, block)
    if not as_json:
        result = {k: v for k, v in result.items() if not isinstance(v, list)}
    emit("nautilus", result, as_json)


def scaling_command(
    as_json: JsonOpt = False,
    sizes: Annotated[list[int] | None, typer.Option("--size", min=1000)] = None,
    png: Annotated[Path, typer.Option("--png")] = RESULTS / "scaling.png",
) -> None:
    """Replay time and peak memory at 10k, 100k, 1M events (or --size ...), plotted."""
    from bench import scaling
    from bench.harness import emit

    result = scaling.run(tuple(sizes) if sizes else scaling.DEFAULT_SIZES)
    scaling.plot(result, png)
    emit("scaling", {k: v for k, v in result.items() if k != "points"} | {"png": str(png)}
         if not as_json else result, as_json)  # fmt: skip


if __name__ == "__main__":
    typer.run(all_command)

"""`tapeline catchup`, `tapeline replay`, `tapeline snapshot`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from agents.cli import kafka_cmds
from agents.cli.common import (
    DataDir,
    Engine,
    EngineOpt,
    NamespaceOpt,
    err,
    open_journal,
    out,
    progress_bar,
)
from agents.registry import build_agents, embedded_runtime, load_config
from agents.sink_ticks import from_env
from schemas import TapelineError
from streams.agent import Agent
from streams.errors import ChainBrokenError
from streams.recovery import recovered_tables
from streams.replay import ReplayResult, Until, replay
from streams.sqlite_journal import SqliteJournal
from streams.store import StateStore
from streams.verify import verify_chain


def catchup(
    data_dir: DataDir, engine: EngineOpt = Engine.embedded, namespace: NamespaceOpt = None
) -> None:
    """Run every agent until it has consumed everything in the log, then exit."""
    if engine is Engine.kafka:
        kafka_cmds.catchup(data_dir, namespace)
        return
    journal = open_journal(data_dir, must_exist=True)
    runtime = embedded_runtime(journal, load_config(data_dir))
    with progress_bar() as progress:
        task = progress.add_task("catchup", total=journal.end_seq())
        report = runtime.catchup(lambda count: progress.advance(task, count))
        runtime.flush()
        sink = from_env(journal)
        if sink is not None:
            counters = sink.run_until_caught_up()
            out.print(f"sink-ticks: {counters}", markup=False)
    journal.close_now()
    out.print(
        f"caught up to seq {report.end_seq}: {report.processed} records read, "
        f"{report.dead_letters} dead-lettered",
        markup=False,
    )


def parse_until(value: str) -> Until:
    """An integer is a global seq; anything else must be an ISO-8601 time with a zone."""
    if value.isdigit():
        return Until(seq=int(value))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TapelineError(
            f"--until {value!r} is neither an offset (global seq) nor an ISO-8601 time"
        ) from None
    if moment.tzinfo is None:
        raise TapelineError(f"--until {value!r} has no time zone; add Z or +00:00")
    seconds = int(moment.timestamp())
    return Until(ts_event=seconds * 1_000_000_000 + moment.microsecond * 1000)


def _lagging(journal: SqliteJournal, store: StateStore, agent: Agent[Any]) -> int:
    """How many records of the agent's replay topics its live table has not folded."""
    marks = ",".join("?" * len(agent.replay_topics))
    row = journal.db.execute(
        f"SELECT count(*) FROM journal WHERE seq > ? AND +topic IN ({marks})",  # noqa: S608 (placeholders only)
        (store.progress(agent.name).state_seq, *agent.replay_topics),
    ).fetchone()
    return int(row[0])


def run_replay(
    data_dir: DataDir,
    until: Annotated[
        str | None, typer.Option("--until", help="A global seq, or an ISO time (event time).")
    ] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Exit 1 if live tables differ.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    from_snapshot: Annotated[
        bool, typer.Option("--from-snapshot", help="Start from the latest snapshot.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replay a broken chain anyway.")] = False,
    engine: EngineOpt = Engine.embedded,
    namespace: NamespaceOpt = None,
) -> None:
    """Rebuild every table from the log into a fresh store; print a hash per table."""
    if engine is Engine.kafka:
        if until or from_snapshot or force:
            raise TapelineError("--until, --from-snapshot and --force are embedded-only for now")
        if not kafka_cmds.replay(data_dir, namespace, verify, as_json):
            raise typer.Exit(1)
        return
    journal = open_journal(data_dir, must_exist=True)
    agents = build_agents(load_config(data_dir))
    bound = parse_until(until) if until else None
    if verify and bound is not None:
        raise TapelineError("--verify compares with the live tables; it cannot take --until")
    end = journal.end_seq()
    with progress_bar() as progress:
        if not force:
            task = progress.add_task("verify chain", total=end)
            report = verify_chain(journal, lambda n: progress.update(task, completed=n))
            progress.remove_task(task)
            if not report.ok:
                raise ChainBrokenError(
                    f"the journal's hash chain is broken ({report.problems[0]}); "
                    "run `tapeline log verify`, or replay with --force"
                )
        store = StateStore(journal.db)
        snapshot_id = store.latest_snapshot(bound.seq if bound else None) if from_snapshot else None
        if from_snapshot and snapshot_id is None:
            raise TapelineError("no snapshot to start from; take one with `tapeline snapshot`")
        task = progress.add_task("replay", total=bound.seq if bound and bound.seq else end)
        result = replay(
            journal, agents, bound, snapshot_id, lambda seq: progress.update(task, completed=seq)
        )
    hashes = result.hashes()
    mismatched: list[str] = []
    live: dict[str, str] = {}
    if verify:
        tables = recovered_tables(journal, [agent for agent in agents if agent.replayable])
        for agent in agents:
            if not agent.replayable:
                continue
            live[agent.name] = tables[agent.name].hash()
            behind = _lagging(journal, store, agent)
            if behind:
                mismatched.append(
                    f"{agent.name}: live table is {behind} records behind the log; "
                    "run `tapeline catchup`"
                )
            elif live[agent.name] != hashes[agent.name]:
                mismatched.append(
                    f"{agent.name}: live {live[agent.name][:16]} "
                    f"!= replay {hashes[agent.name][:16]}"
                )
    journal.close_now()
    _print(result, hashes, live, snapshot_id, as_json)
    for line in mismatched:
        err.print(line, markup=False)
    if mismatched:
        raise typer.Exit(1)


def _print(
    result: ReplayResult,
    hashes: dict[str, str],
    live: dict[str, str],
    snapshot_id: int | None,
    as_json: bool,
) -> None:
    if as_json:
        document: dict[str, Any] = {
            "tables": hashes,
            "events": result.events,
            "end_seq": result.end_seq,
            "errors": result.errors,
        }
        if snapshot_id is not None:
            document["snapshot"] = snapshot_id
        if live:
            document["verified"] = all(live[name] == hashes[name] for name in hashes)
        out.print(json.dumps(document, sort_keys=True), markup=False)
        return
    table = Table("table", "rows", "hash", *(("live",) if live else ()))
    for name, digest in hashes.items():
        row = [name, str(len(result.tables[name].states)), digest]
        if live:
            row.append("same" if live[name] == digest else "DIFFERENT")
        table.add_row(*row)
    out.print(table)
    out.print(f"replayed {result.events} events up to seq {result.end_seq}", markup=False)


def snapshot(data_dir: DataDir, engine: EngineOpt = Engine.embedded) -> None:
    """Save every live table with its position, for `replay --from-snapshot`."""
    journal = open_journal(data_dir, must_exist=True)
    agents = build_agents(load_config(data_dir))
    snapshot_id = StateStore(journal.db).take_snapshot(agent.name for agent in agents)
    journal.close_now()
    out.print(f"snapshot {snapshot_id} taken")

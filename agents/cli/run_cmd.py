"""`tapeline run`: the main job. Feed -> normalizer -> order flow -> oms/risk -> venue ->
positions, pnl, exeq; prints a summary and leaves the journal for replay and audit."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

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
from agents.cli.display import print_rows
from agents.normalizer import SYNTHETIC_INSTRUMENTS, Normalizer, Problem, synthetic_feed
from agents.orderflow.generator import OrderFlow
from agents.registry import adopt_config, build_agents, embedded_runtime, load_config
from agents.session import Session, SessionCounts
from agents.sink_alt.points import synthetic_alt
from agents.sink_alt.sink import AltSink, target_from_env
from agents.sink_ticks import from_env
from agents.tables import (
    EXEQ_SUMMARY_COLUMNS,
    TABLE_COLUMNS,
    TableName,
    View,
    load_tables,
    read_rows,
)
from schemas import Record, TapelineError
from streams.records import new_record
from streams.sqlite_journal import JOURNAL_FILE, SqliteJournal
from streams.topics import ALT_RAW

ALT_POINTS = 200
SUMMARY_POSITIONS = TABLE_COLUMNS[TableName.positions][:-1]


def run(
    data_dir: DataDir,
    feed: Annotated[
        str, typer.Option("--feed", help="synthetic | tardis:TRADES[,QUOTES] | none")
    ] = "synthetic",
    orders: Annotated[int, typer.Option("--orders", min=0, help="New orders to send.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the feed and the order flow.")] = 7,
    ticks: Annotated[
        int, typer.Option("--ticks", min=1, help="Ticks of the synthetic feed.")
    ] = 20_000,
    accounts: Annotated[int, typer.Option("--accounts", min=1, max=100)] = 4,
    instruments: Annotated[
        Path | None, typer.Option("--instruments", help="TOML: more instruments.")
    ] = None,
    limits: Annotated[Path | None, typer.Option("--limits", help="TOML: risk limits.")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the data dir's journal and start over.")
    ] = False,
    engine: EngineOpt = Engine.embedded,
    namespace: NamespaceOpt = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="kafka: workers.")] = 1,
) -> None:
    """Run a trading session and print what happened."""
    if engine is Engine.embedded:
        _prepare(data_dir, fresh)
    adopt_config(data_dir, instruments, limits)
    config = load_config(data_dir)
    normalizer = Normalizer(config.registry)
    items, expected = _feed(feed, seed, ticks, normalizer)
    flow = None
    if orders:
        names = [f"ACC-{n}" for n in range(1, accounts + 1)]
        flow = OrderFlow(
            seed=seed, orders=orders, ticks=expected, accounts=names, registry=config.registry
        )
    if engine is Engine.kafka:
        kafka_cmds.run(data_dir, items, flow, namespace, workers)
        return
    journal = open_journal(data_dir)
    runtime = embedded_runtime(journal, config)
    with progress_bar() as progress:
        task = progress.add_task("session", total=expected)
        session = Session(
            journal, runtime, flow, lambda n: progress.update(task, completed=n), from_env(journal)
        )
        counts = session.run(items)
    alt = _alt_data(journal, data_dir, seed) if feed == "synthetic" else None
    _summary(journal, counts, feed, normalizer)
    if alt is not None:
        out.print(f"alt data: {alt} points into alt_points ({_alt_target()})", markup=False)
    journal.close_now()


def _alt_data(journal: SqliteJournal, data_dir: Path, seed: int) -> int:
    """The seeded synthetic alt feed (funding rates, news sentiment) through sink-alt."""
    first = journal.db.execute("SELECT min(ts_event) FROM journal").fetchone()[0] or 0
    subjects = sorted({d.instrument for d in SYNTHETIC_INSTRUMENTS})
    points = synthetic_alt(seed, subjects, int(first), ALT_POINTS)
    with journal.transaction():
        journal.append_in_transaction([new_record(ALT_RAW, point) for point in points])
    target = target_from_env(data_dir)
    try:
        return AltSink(journal, target).run_until_caught_up().points_written
    finally:
        target.close()


def _alt_target() -> str:
    return "ClickHouse" if os.environ.get("TAPELINE_CLICKHOUSE_URL") else "chDB under the data dir"


def _prepare(data_dir: Path, fresh: bool) -> None:
    journal_path = data_dir / JOURNAL_FILE
    if not journal_path.exists():
        return
    if not fresh:
        raise TapelineError(
            f"{data_dir} already holds a journal; check it with `tapeline replay --verify`, "
            "start over with `tapeline run --fresh`, or pass another --data-dir"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal_path}{suffix}").unlink(missing_ok=True)


def _feed(
    feed: str, seed: int, ticks: int, normalizer: Normalizer
) -> tuple[Iterable[Record | Problem], int]:
    """The feed's items and how many ticks to expect (for the order schedule and the bar)."""
    if feed == "synthetic":
        return normalizer.feed_ticks(synthetic_feed(seed, count=ticks)), ticks
    if feed == "none":
        return [], 0
    if feed.startswith("tardis:"):
        paths = [Path(p) for p in feed.removeprefix("tardis:").split(",") if p]
        if not 1 <= len(paths) <= 2:
            raise TapelineError("--feed tardis:TRADES[,QUOTES] takes one or two files")
        for path in paths:
            if not path.is_file():
                raise TapelineError(f"--feed: no such file: {path}")
        quotes = paths[1] if len(paths) == 2 else None
        expected = sum(_data_lines(path) for path in paths)
        return normalizer.feed_tardis_session(paths[0], quotes), expected
    raise TapelineError(f"--feed {feed!r}: use synthetic, tardis:TRADES[,QUOTES] or none")


def _data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _summary(
    journal: SqliteJournal, counts: SessionCounts, feed: str, normalizer: Normalizer
) -> None:
    config = load_config(journal.path.parent)
    tables = load_tables(journal, build_agents(config))
    kinds = dict(journal.db.execute("SELECT kind, count(*) FROM journal GROUP BY kind").fetchall())
    session: list[dict[str, Any]] = [
        {
            "feed": _short(feed),
            "ticks": counts.ticks,
            "gaps": counts.gaps,
            "bad ticks": counts.problems,
            "duplicates": normalizer.counters.duplicates,
            "commands": counts.commands,
            "fills": kinds.get("fill", 0),
            "dead letters": kinds.get("dead_letter", 0),
            "journal records": journal.end_seq(),
            "seconds": f"{counts.seconds:.2f}",
        }
    ]
    print_rows("session", session, None)
    for sample in counts.problem_samples:
        err.print(f"bad tick: {sample}", markup=False)
    statuses = Counter(row["status"] for row in read_rows(TableName.orders, tables, config))
    print_rows("orders by status", [dict(sorted(statuses.items()))], None)
    print_rows("positions", read_rows(TableName.positions, tables, config), SUMMARY_POSITIONS)
    print_rows("pnl", read_rows(TableName.pnl, tables, config), _PNL_COLUMNS)
    exeq = read_rows(TableName.exeq, tables, config, View.summary)
    print_rows("execution quality", exeq, EXEQ_SUMMARY_COLUMNS)
    alerts = read_rows(TableName.alerts, tables, config)
    out.print(f"compliance alerts: {len(alerts)}", markup=False)
    out.print(
        f"journal: {journal.path} - rebuild and check every table with "
        f"`tapeline replay --verify --data-dir {journal.path.parent}`",
        markup=False,
    )


def _short(feed: str) -> str:
    """``tardis:/long/path/a.csv,/long/path/b.csv`` as ``tardis:a.csv,b.csv``."""
    kind, colon, files = feed.partition(":")
    return kind + colon + ",".join(Path(f).name for f in files.split(",")) if colon else feed


_PNL_COLUMNS = ("account", "realized_pnl", "unrealized_pnl", "total_pnl", "fees", "open_positions")

"""`tapeline log append|tail|verify`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from agents.cli.common import (
    DataDir,
    Engine,
    EngineOpt,
    FormatOpt,
    OutputFormat,
    err,
    open_journal,
    out,
)
from agents.registry import instrument_registry
from agents.wire import parse_line
from schemas import DeadLetter, SchemaError
from streams.records import NewRecord, new_record
from streams.topics import DEADLETTER, topic_spec
from streams.verify import verify_chain

app = typer.Typer(help="Append, read and verify the log.", no_args_is_help=True)

BATCH = 5000
RAW_LIMIT = 4096


def _dead_letter(path: Path, number: int, line: bytes, reason: str) -> NewRecord:
    letter = DeadLetter(
        origin_topic="file",
        origin=f"{path.name}:line {number}",
        error=reason,
        raw=line[:RAW_LIMIT].decode(errors="backslashreplace"),
        ts_event=time.time_ns(),
    )
    return new_record(DEADLETTER, letter)


@app.command()
def append(
    file: Annotated[Path, typer.Argument(help="JSONL: one record per line.")],
    topic: Annotated[str, typer.Option("--topic", help="The topic to append to.")],
    data_dir: DataDir,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """Append documented records; each bad line is reported and skipped, the rest kept."""
    topic_spec(topic)
    registry = instrument_registry(data_dir)
    try:
        lines = file.read_bytes().splitlines()
    except OSError as error:
        raise SchemaError(f"{file}: cannot read: {error.strerror}") from None
    journal = open_journal(data_dir)
    good = bad = 0
    batch: list[NewRecord] = []
    with Progress(
        console=err, transient=True, disable=len(lines) < 50_000 or not err.is_terminal
    ) as progress:
        task = progress.add_task(f"append {file.name}", total=len(lines))
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    batch.append(parse_line(line, topic, registry))
                    good += 1
                except SchemaError as error:
                    bad += 1
                    err.print(f"line {number}: {error}", markup=False)
                    batch.append(_dead_letter(file, number, line, str(error)))
            if len(batch) >= BATCH:
                with journal.transaction():
                    journal.append_in_transaction(batch)
                batch.clear()
                progress.update(task, completed=number)
        if batch:
            with journal.transaction():
                journal.append_in_transaction(batch)
    journal.close_now()
    summary = f"appended {good} records to {topic}"
    if bad:
        summary += f"; {bad} bad lines skipped (sent to {DEADLETTER})"
    err.print(summary, markup=False)
    if bad:
        raise typer.Exit(1)


@app.command()
def tail(
    topic: Annotated[str, typer.Option("--topic")],
    data_dir: DataDir,
    from_offset: Annotated[int, typer.Option("--from", min=0, help="First offset.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    output: FormatOpt = OutputFormat.table,
    engine: EngineOpt = Engine.embedded,
) -> None:
    """Read records of a topic (every partition), from an offset on."""
    spec = topic_spec(topic)
    journal = open_journal(data_dir, must_exist=True)
    rows = []
    for partition in range(journal.partition_count(spec.name)):
        for rec in journal.read_partition(spec.name, partition, from_offset, limit):
            rows.append(rec)
    rows.sort(key=lambda r: r.seq)
    rows = rows[:limit]
    journal.close_now()
    if output is OutputFormat.json:
        for rec in rows:
            out.print(
                json.dumps(
                    {
                        "topic": rec.topic,
                        "partition": rec.partition,
                        "offset": rec.offset,
                        "seq": rec.seq,
                        "key": rec.key,
                        "kind": rec.kind,
                        "schema_version": rec.schema_version,
                        "event_id": rec.event_id,
                        "ts_event": rec.ts_event,
                        "ts_ingest": rec.ts_ingest,
                        "causation_id": rec.causation_id,
                        "correlation_id": rec.correlation_id,
                        "payload": json.loads(rec.payload),
                    }
                ),
                markup=False,
            )
        return
    table = Table("seq", "partition", "offset", "kind", "key", "ts_event", "payload")
    for rec in rows:
        table.add_row(
            str(rec.seq), str(rec.partition), str(rec.offset), rec.kind, rec.key,
            str(rec.ts_event), rec.payload.decode()[:120],
        )  # fmt: skip
    out.print(table)


@app.command()
def verify(data_dir: DataDir, engine: EngineOpt = Engine.embedded) -> None:
    """Walk the hash chain; name the first broken record of each partition."""
    journal = open_journal(data_dir, must_exist=True)
    report = verify_chain(journal)
    journal.close_now()
    for problem in report.problems:
        err.print(problem, markup=False)
    if not report.ok:
        err.print(f"chain broken: {len(report.problems)} problem(s)", markup=False)
        raise typer.Exit(1)
    out.print(f"chain ok: {report.records} records in {report.partitions} partitions")

"""Journal benchmarks: append, read+decode (the limit), replay and its ratio, memory.

Replay is measured against read+decode of the same journal in the same run, because the
machines are shared and noisy: the ratio is what stays comparable between runs. The two
alternate ``ROUNDS`` times and each figure is its fastest round, so a burst of load from
another process lands on neither side of the ratio alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID

from agents.registry import Config, build_agents
from bench.harness import peak_rss_mb, progress, stopwatch
from schemas import Fill
from streams.codec import decode_payload
from streams.records import NewRecord, new_record
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS
from streams.verify import verify_chain

BATCH = 5000
ROUNDS = 3
ACCOUNTS = 20
INSTRUMENTS = ("binance-futures:BTCUSDT", "binance-futures:ETHUSDT", "synthetic:ALPHA")


def make_fills(count: int, start: int = 0) -> list[NewRecord]:
    """Validated fills, encoded once (generation is not what is measured)."""
    records = []
    for i in range(start, start + count):
        fill = Fill(
            exec_id=f"X-{i}",
            account=f"ACC-{i % ACCOUNTS}",  # type: ignore[arg-type]
            instrument=INSTRUMENTS[i % len(INSTRUMENTS)],  # type: ignore[arg-type]
            side="buy" if (i // 3) % 2 else "sell",
            qty=Decimal(1 + i % 7) / 1000,
            price=Decimal(9000 + (i * 7919) % 2000) / 4,
            fee=Decimal(i % 5) / 100,
            fee_currency="USDT",
            ts_event=1_582_329_600_000_000_000 + i * 1_000_000,
        )
        records.append(new_record(EXEC_REPORTS, fill))
    return records


def fill_journal(journal: SqliteJournal, events: int) -> float:
    """Append ``events`` fills in batches; returns the seconds spent appending."""
    spent = 0.0
    with progress() as bar:
        task = bar.add_task("append", total=events)
        for start in range(0, events, BATCH):
            batch = make_fills(min(BATCH, events - start), start)
            with stopwatch() as elapsed, journal.transaction():
                journal.append_in_transaction(batch)
            spent += elapsed()
            bar.advance(task, len(batch))
    return spent


def read_and_decode(journal: SqliteJournal) -> int:
    """The limit replay can reach: the same scan and decode, with no fold."""
    position, count = 0, 0
    while rows := journal.scan(position, [EXEC_REPORTS], BATCH):
        for row in rows:
            decode_payload(row[2], row[5])
        count += len(rows)
        position = rows[-1][0]
    return count


def _advance(bar: Progress, task: TaskID, done: int) -> Callable[[int], None]:
    """Replay's progress (a seq) on the bar, after the ``done`` steps of earlier rounds."""

    def update(seq: int) -> None:
        bar.update(task, completed=done + seq)

    return update


def _replay_rss(path: Path) -> float:
    """Peak RSS of a fresh process that replays the journal (what `tapeline replay` needs)."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from bench.journal import replay_in_process; "
        "print(json.dumps(replay_in_process(Path(sys.argv[1]))))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return float(json.loads(done.stdout)["peak_rss_mb"])


def replay_in_process(path: Path) -> dict[str, float]:
    journal = SqliteJournal(path)
    replay(journal, build_agents(Config()))
    journal.close_now()
    return {"peak_rss_mb": peak_rss_mb()}


def run(events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal.in_dir(Path(tmp))
        append_s = fill_journal(journal, events)
        agents = build_agents(Config())
        read_s = replay_s = float("inf")
        with progress() as bar:
            task = bar.add_task("read+decode, replay", total=ROUNDS * 2 * events)
            for round_ in range(ROUNDS):
                with stopwatch() as elapsed:
                    decoded = read_and_decode(journal)
                read_s = min(read_s, elapsed())
                done = (2 * round_ + 1) * events
                bar.update(task, completed=done)
                with stopwatch() as elapsed:
                    result = replay(journal, agents, on_progress=_advance(bar, task, done))
                replay_s = min(replay_s, elapsed())
        with stopwatch() as elapsed:
            chain = verify_chain(journal)
        verify_s = elapsed()
        assert decoded == events, "read+decode lost records"
        assert result.events == events, "replay lost records"
        assert chain.ok, "the chain does not verify"
        journal.close_now()
        rss = _replay_rss(Path(tmp) / "journal.sqlite")
    read_rate = events / read_s
    replay_rate = events / replay_s
    return {
        "events": events,
        "append_records_per_s": events / append_s,
        "read_decode_records_per_s": read_rate,
        "replay_events_per_s": replay_rate,
        "replay_to_read_decode_ratio": replay_rate / read_rate,
        "verify_chain_records_per_s": events / verify_s,
        "replay_peak_rss_mb": rss,
    }

"""A trading session (or a catchup) that SIGKILLs itself at its N-th SQL statement.

Run as ``python -m tests.reliability.crash_driver session|catchup DATA_DIR SEED KILL_AT``.
Counting SQLite statements makes the crash point seeded and repeatable, and it lands
anywhere: between a batch's appends and its progress rows, inside a save, after a commit.
``KILL_AT`` 0 never kills; the driver then prints how many statements it ran.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from agents.normalizer import Normalizer, synthetic_feed
from agents.orderflow.generator import OrderFlow
from agents.registry import embedded_runtime, load_config
from agents.session import Session
from streams.sqlite_journal import SqliteJournal

TICKS = 1500
ORDERS = 150
ACCOUNTS = ["ACC-1", "ACC-2", "ACC-3"]


def main(mode: str, data_dir: Path, seed: int, kill_at: int) -> int:
    """Runs the session or the catchup; returns the SQL statements it ran."""
    journal = SqliteJournal.in_dir(data_dir)
    statements = 0

    def count(_sql: str) -> None:
        nonlocal statements
        statements += 1
        if statements == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    journal.db.set_trace_callback(count)
    config = load_config(data_dir)
    runtime = embedded_runtime(journal, config)
    if mode == "session":
        normalizer = Normalizer(config.registry)
        flow = OrderFlow(
            seed=seed, orders=ORDERS, ticks=TICKS, accounts=ACCOUNTS, registry=config.registry
        )
        Session(journal, runtime, flow).run(
            normalizer.feed_ticks(synthetic_feed(seed, count=TICKS))
        )
    else:
        runtime.catchup()
        runtime.flush()
    journal.close_now()
    return statements


if __name__ == "__main__":
    print(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))

"""After kill -9 and a restart, the live tables equal the log's replay (`replay --verify`).

Each round crashes a seeded session at a seeded SQL statement (as test_kill9 does), runs
a clean catchup (which flushes) and then asks `tapeline replay --verify`, which reads
the live tables as the next restart would.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path

from agents.cli.replay_cmd import run_replay
from tests.reliability import ledger
from tests.reliability.test_kill9 import SEED, _catchup, _drive, _statements_of_a_whole_session

ROUNDS = 6


def test_live_tables_equal_replay_after_kill_minus_nine_and_restart(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    total = _statements_of_a_whole_session(tmp_path, SEED)
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"round-{round_number}"
        crashed = _drive("session", data_dir, SEED + round_number, rng.randint(1, total))
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        ledger.add(ledger.FAULTS)
        if not (data_dir / "journal.sqlite").exists():
            continue
        _catchup(data_dir)
        run_replay(data_dir=data_dir, verify=True)  # typer.Exit(1) when live != replay
        ledger.add(ledger.ROUNDS)

"""kill -9 the embedded pipeline under load, many rounds, and check the log's promises.

Each round runs a seeded trading session in a subprocess that SIGKILLs itself at a
seeded SQL statement (tests/reliability/crash_driver.py), so the crash lands anywhere in
a batch; half the rounds also kill the first restart. After a clean ``catchup``: the
hash chain verifies, every command has its answer, every accepted order is in the orders
table the log rebuilds, and no event id repeats within a topic.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from agents.cli.log_cmd import verify
from agents.registry import build_agents, embedded_runtime, load_config
from agents.tables import TableName, read_rows
from streams.replay import replay
from streams.sqlite_journal import SqliteJournal
from streams.topics import ORDERS_COMMANDS, ORDERS_EVENTS
from tests.reliability import ledger

ROUNDS = 10
SEED = 20261125


def _drive(mode: str, data_dir: Path, seed: int, kill_at: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.reliability.crash_driver", mode, str(data_dir)]
    return subprocess.run(
        [*command, str(seed), str(kill_at)], capture_output=True, text=True, check=False
    )


def _statements_of_a_whole_session(tmp_path: Path, seed: int) -> int:
    done = _drive("session", tmp_path / "unbroken", seed, 0)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def _answers_and_duplicates(journal: SqliteJournal) -> tuple[list[str], list[str], set[str]]:
    """Commands with no answer, event ids seen twice in a topic, accepted cl_ord_ids."""
    db = journal.db
    unanswered = [
        event_id
        for (event_id,) in db.execute(
            "SELECT c.event_id FROM journal c WHERE c.topic = ? AND c.kind = 'submit_order' "
            "AND NOT EXISTS (SELECT 1 FROM journal a WHERE a.topic = ? "
            "AND a.causation_id = c.event_id "
            "AND a.kind IN ('order_accepted', 'order_rejected'))",
            (ORDERS_COMMANDS, ORDERS_EVENTS),
        )
    ]
    repeated = [
        f"{topic}:{event_id}"
        for topic, event_id, _ in db.execute(
            "SELECT topic, event_id, count(*) FROM journal GROUP BY topic, event_id "
            "HAVING count(*) > 1"
        )
    ]
    accepted = {
        json.loads(payload)["cl_ord_id"]
        for (payload,) in db.execute(
            "SELECT payload FROM journal WHERE topic = ? AND kind = 'order_accepted'",
            (ORDERS_EVENTS,),
        )
    }
    return unanswered, repeated, accepted


def _catchup(data_dir: Path) -> None:
    journal = SqliteJournal.in_dir(data_dir)
    runtime = embedded_runtime(journal, load_config(data_dir))
    runtime.catchup()
    runtime.flush()
    journal.close_now()


def _check_promises(data_dir: Path) -> int:
    """Asserts the log's promises after a restart; returns the commands the journal holds."""
    verify(data_dir=data_dir)  # raises typer.Exit(1) on a broken chain
    journal = SqliteJournal.in_dir(data_dir)
    unanswered, repeated, accepted = _answers_and_duplicates(journal)
    config = load_config(data_dir)
    rebuilt = replay(journal, build_agents(config))
    states = {name: table.states for name, table in rebuilt.tables.items()}
    orders = read_rows(TableName.orders, states, config)
    commands = journal.db.execute(
        "SELECT count(*) FROM journal WHERE topic = ?", (ORDERS_COMMANDS,)
    ).fetchone()[0]
    journal.close_now()
    # A replaced order's row carries the newest cl_ord_id; its root is the accepted one.
    missing = accepted - {row["root_cl_ord_id"] for row in orders}
    ledger.add(ledger.LOST, len(unanswered) + len(missing))
    ledger.add(ledger.DUPLICATED, len(repeated))
    assert not unanswered, f"commands with no answer: {unanswered[:5]}"
    assert not missing, f"accepted orders missing from the orders table: {sorted(missing)[:5]}"
    assert not repeated, f"event ids repeated within a topic: {repeated[:5]}"
    return int(commands)


def test_kill_minus_nine_at_random_statements_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    total = _statements_of_a_whole_session(tmp_path, SEED)
    survived = 0
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"round-{round_number}"
        kill_at = rng.randint(1, total)
        crashed = _drive("session", data_dir, SEED + round_number, kill_at)
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        ledger.add(ledger.FAULTS)
        if round_number % 2 and (data_dir / "journal.sqlite").exists():
            # The restart dies too, somewhere in its own catchup.
            again = _drive("catchup", data_dir, 0, rng.randint(1, 400))
            assert again.returncode in (0, -signal.SIGKILL), again.stderr
            ledger.add(ledger.FAULTS, again.returncode != 0)
        if not (data_dir / "journal.sqlite").exists():
            continue  # killed before the journal existed: nothing was promised
        _catchup(data_dir)
        assert _check_promises(data_dir) > 0 or kill_at < total // 10
        survived += 1
        ledger.add(ledger.ROUNDS)
    assert survived >= ROUNDS // 2, "most crash points must land after the journal exists"


def test_a_crashed_session_keeps_every_answer_an_unbroken_one_gave(tmp_path: Path) -> None:
    """Commands the crashed run recorded get the very answers of a run that never crashed."""
    unbroken = tmp_path / "unbroken"
    assert _drive("session", unbroken, SEED, 0).returncode == 0
    crashed = tmp_path / "crashed"
    total = _statements_of_a_whole_session(tmp_path / "probe", SEED)
    assert _drive("session", crashed, SEED, total * 2 // 3).returncode == -signal.SIGKILL
    ledger.add(ledger.FAULTS)
    _catchup(crashed)

    def answers(data_dir: Path) -> Counter[tuple[str, str]]:
        journal = SqliteJournal.in_dir(data_dir)
        rows = journal.db.execute(
            "SELECT json_extract(c.payload, '$.cl_ord_id'), a.kind FROM journal c "
            "JOIN journal a ON a.causation_id = c.event_id AND a.topic = ? "
            "WHERE c.topic = ? AND c.kind = 'submit_order'",
            (ORDERS_EVENTS, ORDERS_COMMANDS),
        ).fetchall()
        journal.close_now()
        return Counter((str(cl_ord_id), str(kind)) for cl_ord_id, kind in rows)

    after_crash, reference = answers(crashed), answers(unbroken)
    assert after_crash, "the crash point must leave some orders in the journal"
    differing = {key for key in after_crash if after_crash[key] != reference[key]}
    ledger.add(ledger.LOST, len(differing))
    assert not differing, sorted(differing)[:5]

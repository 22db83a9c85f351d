"""Security promises: read-only SQL, no secrets on the command line or at rest in clear.

`tapeline sql` evasions beyond the direct ones of tests/agents/audit (case, comments,
subqueries, CTEs, other table functions, quoted system names, INSERT INTO FUNCTION):
each is refused with a TapelineError, and afterwards the journal is byte-for-byte the
same and no file appeared. No CLI option may carry a secret. A created API key appears
in no file of the data dir.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agents.audit.db import AuditDb
from agents.audit.guard import run_sql
from agents.cli import auth_cmd
from agents.cli.main import build_app
from schemas import TapelineError
from streams.records import new_record
from streams.sqlite_journal import JOURNAL_FILE, SqliteJournal
from streams.topics import EXEC_REPORTS
from tests import factories
from tests.reliability import ledger

CANARY = "/tmp/tapeline-reliability-canary"

ATTEMPTS = [
    "sElEcT * FrOm FILE('/etc/passwd')",
    "SELECT * FROM events, file('/etc/passwd', 'LineAsString')",
    "SELECT 1 WHERE 1 IN (SELECT * FROM file('/etc/passwd', 'LineAsString'))",
    "WITH x AS (SELECT * FROM url('http://127.0.0.1:1/x', CSV)) SELECT * FROM x",
    "SELECT 1 UNION ALL SELECT count() FROM file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM merge('system', '.*')",
    "SELECT * FROM executable('id', 'TSV', 'a String')",
    "SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV')",
    "SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')",
    "SELECT * FROM postgresql('127.0.0.1:1', 'd', 't', 'u', 'p')",
    "SELECT * FROM generateRandom('a Int8') LIMIT 1",
    "SELECT * FROM view(SELECT * FROM system.users)",
    "SELECT * FROM events JOIN system.users ON 1",
    "SELECT * FROM `system`.`users`",
    'SELECT * FROM "system"."settings"',
    "SELECT * FROM INFORMATION_SCHEMA.TABLES",
    "SELECT dictGet('d', 'a', toUInt64(1))",
    "SELECT joinGet('t', 'a', 1)",
    "SELECT getSetting('readonly')",
    "SELECT * FROM events FORMAT Native",
    f"SELECT * FROM events INTO OUTFILE '{CANARY}' TRUNCATE",
    f"INSERT INTO FUNCTION file('{CANARY}', 'CSV') SELECT 1",
    f"BACKUP TABLE events TO File('{CANARY}')",
    "SELECT 1 /* harmless */; DROP VIEW events",
    "SELECT 1 -- comment\n; DROP VIEW events",
    "TRUNCATE TABLE events",
    "RENAME TABLE events TO gone",
    "GRANT ALL ON *.* TO default",
    "KILL QUERY WHERE 1",
    "DETACH VIEW events",
    "SHOW TABLES",
    "DESCRIBE TABLE events",
    "EXPLAIN SELECT 1",
    "SELECT * FROM events SETTINGS readonly = 0",
    "SELECT 1 SETTINGS allow_ddl = 1",
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def journal_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("sql")
    journal = SqliteJournal.in_dir(data_dir)
    with journal.transaction():
        journal.append_in_transaction(
            [new_record(EXEC_REPORTS, factories.fill(exec_id=f"X-{n}")) for n in range(5)]
        )
    journal.checkpoint_wal()
    journal.close_now()
    return data_dir / JOURNAL_FILE


@pytest.fixture(scope="module")
def audit(journal_file: Path) -> Iterator[AuditDb]:
    with AuditDb.open(journal_file) as db:
        yield db


@pytest.mark.parametrize("statement", ATTEMPTS)
def test_sql_refuses_every_write_and_exfiltration_attempt(
    audit: AuditDb, journal_file: Path, statement: str
) -> None:
    before = _digest(journal_file)
    ledger.add(ledger.HOSTILE)
    with pytest.raises(TapelineError) as refused:
        run_sql(audit, statement)
    assert "\n" not in str(refused.value)
    assert not Path(CANARY).exists()
    assert _digest(journal_file) == before


def test_sql_still_answers_a_plain_select(audit: AuditDb) -> None:
    """The refusals above are not a guard that refuses everything."""
    columns, rows = run_sql(audit, "SELECT count() AS n FROM fills")
    assert columns == ["n"]
    assert rows[0]["n"] == 5


SECRET_WORDS = ("key", "secret", "password", "passwd", "token", "credential", "api")


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (sub)command of typer's click tree, named as a user types it."""
    for name, command in getattr(group, "commands", {}).items():
        yield f"{prefix}{name}", command
        yield from _commands(command, f"{prefix}{name} ")


def test_no_command_takes_a_secret_on_its_command_line() -> None:
    """A secret in argv shows in `ps`, in shell history and in CI logs."""
    root = typer.main.get_command(build_app())
    offending: list[str] = []
    seen = 0
    for path, command in _commands(root):
        for param in command.params:
            seen += 1
            names = [param.name or "", *getattr(param, "opts", [])]
            if any(word in name.lower() for name in names for word in SECRET_WORDS):
                offending.append(f"{path}: {param.name}")
    assert seen > 50, "the walk must reach every command's options"
    # --key-id names a key, it is not one: listed here so that anything new is looked at.
    allowed = {"auth revoke-key: key_id"}
    assert set(offending) <= allowed, sorted(set(offending) - allowed)


def test_a_created_key_is_in_no_file_of_the_data_dir(tmp_path: Path) -> None:
    created = CliRunner().invoke(
        auth_cmd.app,
        ["create-key", "--data-dir", str(tmp_path), "--principal", "eve", "--role", "admin"],
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    secret = key.partition(".")[2] or key
    assert len(secret) >= 16
    listed = CliRunner().invoke(auth_cmd.app, ["list-keys", "--data-dir", str(tmp_path)])
    assert secret not in listed.output
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files, "the key store must have written something"
    holding = [str(p) for p in files if secret.encode() in p.read_bytes()]
    assert not holding, holding

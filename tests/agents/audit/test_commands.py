"""The audit and sql typer commands, in-process (the lead wires them into `tapeline`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agents.audit.db import AuditError
from agents.audit.guard import RefusedSqlError
from agents.cli import audit_cmd, sql_cmd
from tests.cli.helpers import tapeline

app = typer.Typer()
app.add_typer(audit_cmd.app, name="audit")
app.command("sql")(sql_cmd.sql)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("audit-cli")
    result = tapeline("run", "--ticks", "1000", "--orders", "40", data_dir=directory)
    assert result.code == 0, result.err
    return directory


def _invoke(data: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


def test_formats(data: Path) -> None:
    trail = json.loads(_invoke(data, "audit", "order", "C000001", "--format", "json"))
    assert trail[0]["kind"] == "submit_order"
    assert trail[0]["record"]["cl_ord_id"] == "C000001"
    account = trail[0]["record"]["account"]
    rows = list(
        csv.DictReader(
            io.StringIO(_invoke(data, "audit", "fills", "--account", account, "--format", "csv"))
        )
    )
    assert rows
    assert {row["account"] for row in rows} == {account}
    positions = json.loads(
        _invoke(data, "audit", "positions", "--as-of", "500", "--format", "json")
    )
    assert all("qty" in row for row in positions)
    table = _invoke(
        data, "sql", "SELECT kind, count() AS n FROM events GROUP BY kind ORDER BY kind"
    )
    assert "submit_order" in table
    assert "C000001" in _invoke(data, "audit", "order", "C000001")


def test_reindex_rebuilds_what_audit_order_reads(data: Path) -> None:
    before = _invoke(data, "audit", "order", "C000002", "--format", "json")
    assert "order-id index rebuilt up to seq" in _invoke(data, "audit", "reindex")
    assert _invoke(data, "audit", "order", "C000002", "--format", "json") == before


def test_errors_are_tapeline_errors(data: Path) -> None:
    result = CliRunner().invoke(app, ["sql", "DROP VIEW events", "--data-dir", str(data)])
    assert isinstance(result.exception, RefusedSqlError)
    result = CliRunner().invoke(
        app, ["audit", "fills", "--account", "A", "--from", "yesterday", "--data-dir", str(data)]
    )
    assert isinstance(result.exception, AuditError)
    assert "neither ns since the epoch nor an ISO time" in str(result.exception)

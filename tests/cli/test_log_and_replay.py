"""The CLI contract of CLI.md: log append/tail/verify, catchup, query, replay, schemas."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from schemas import KINDS
from tests import factories
from tests.cli.helpers import tapeline

GOOD = [
    factories.fill(exec_id="X-1", qty="0.25", price="9000.50", fee="2.25").model_dump_json(),
    factories.fill(exec_id="X-2", side="sell", qty="0.1", price="9010", fee="1").model_dump_json(),
]
FILL = json.loads(GOOD[0])


def _line(**changes: object) -> str:
    data = dict(FILL, exec_id="X-bad")
    data.update(changes)
    return json.dumps(data)


BAD = [
    ('{"kind": "fill", "exec_id"', "malformed JSON"),
    ("[1, 2]", "a record is a JSON object"),
    (_line(kind="teleport"), "field kind: unknown kind 'teleport'"),
    (_line(qty=0.25), "field qty: decimals are JSON strings"),
    (_line(qty="NaN"), "field qty: decimal must be finite"),
    (_line(price="Infinity"), "field price: decimal must be finite"),
    (_line(qty="-3"), "field qty: Input should be greater than 0"),
    (_line(qty="1e30"), "absurdly large"),
    (_line(ts_event="2020-01-01"), "field ts_event"),
    (_line(instrument="nowhere:XYZ"), "field instrument: unknown instrument"),
    (_line(schema_version=0), "no upcaster from fill v0 to v1"),
    (_line(venue="extra"), "field venue: Extra inputs are not permitted"),
    (_line(kind="quote"), "field"),
    (json.dumps({k: v for k, v in FILL.items() if k != "price"}), "field price: Field required"),
    ('{"kind": "fill", "qty": NaN}', "NaN is not a number"),
]


@pytest.fixture
def session(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    source = tmp_path / "fills.jsonl"
    source.write_text("\n".join(GOOD) + "\n")
    assert tapeline("log", "append", "--topic", "exec.reports", source, data_dir=data).code == 0
    assert tapeline("catchup", data_dir=data).code == 0
    return data


def test_each_bad_line_is_reported_and_every_good_line_kept(tmp_path: Path) -> None:
    lines = [GOOD[0], *(line for line, _ in BAD), GOOD[1]]
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(
        ("\n".join(lines)).encode() + b"\n\xff\xfe{bad utf8}\n" + GOOD[1][:40].encode()
    )
    result = tapeline("log", "append", "--topic", "exec.reports", source, data_dir=tmp_path / "d")
    assert result.code == 1
    messages = result.err.splitlines()
    for number, (_, expected) in enumerate(BAD, start=2):
        assert any(m.startswith(f"line {number}: ") and expected in m for m in messages), (
            number,
            expected,
            messages,
        )
    assert any(m.startswith(f"line {len(lines) + 1}: invalid UTF-8") for m in messages)
    assert any(m.startswith(f"line {len(lines) + 2}: malformed JSON") for m in messages)
    bad_count = len(BAD) + 2
    assert f"appended 2 records to exec.reports; {bad_count} bad lines" in result.err
    tail = tapeline(
        "log",
        "tail",
        "--topic",
        "deadletter",
        "--limit",
        "100",
        "--format",
        "json",
        data_dir=tmp_path / "d",
    )
    letters = [json.loads(line) for line in tail.out.splitlines()]
    assert len(letters) == bad_count
    assert all(
        letter["payload"]["error"] and letter["payload"]["raw"] is not None for letter in letters
    )


def test_query_positions_json_has_the_documented_fields(session: Path) -> None:
    result = tapeline("query", "positions", "--format", "json", data_dir=session)
    (row,) = json.loads(result.out)
    for field in (
        "account",
        "instrument",
        "qty",
        "avg_price",
        "realized_pnl",
        "unrealized_pnl",
        "mark",
        "fees",
    ):
        assert field in row
    assert row["qty"] == "0.15"
    assert row["avg_price"] == "9000.50"
    assert row["realized_pnl"] == "-2.300"  # 0.1 x (9010 - 9000.50) - 2.25 - 1
    assert row["fees"] == {"USDT": "3.25"}


def test_replay_prints_hashes_and_verifies(session: Path) -> None:
    result = tapeline("replay", "--json", "--verify", data_dir=session)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert set(document["tables"]) >= {"positions", "tickers"}
    assert document["verified"] is True
    assert all(len(h) == 64 for h in document["tables"].values())


def test_verify_fails_when_live_differs(session: Path) -> None:
    db = sqlite3.connect(session / "journal.sqlite")
    db.execute(
        "UPDATE agent_state SET value = CAST(replace(value, '0.15', '0.16') AS BLOB) "
        "WHERE agent = 'positions'"
    )
    db.commit()
    db.close()
    result = tapeline("replay", "--verify", data_dir=session)
    assert result.code == 1
    assert "positions: live" in result.err


def test_tampering_is_named_and_replay_refuses_without_force(session: Path) -> None:
    db = sqlite3.connect(session / "journal.sqlite")
    db.execute("UPDATE journal SET payload = replace(payload, '9010', '9011') WHERE seq = 2")
    db.commit()
    db.close()
    verify = tapeline("log", "verify", data_dir=session)
    assert verify.code == 1
    assert "(seq 2): hash mismatch" in verify.err
    refused = tapeline("replay", data_dir=session)
    assert refused.code == 2
    assert refused.err.startswith("error: the journal's hash chain is broken")
    assert tapeline("replay", "--force", data_dir=session).code == 0


def test_snapshot_then_replay_from_it(session: Path) -> None:
    full = json.loads(tapeline("replay", "--json", data_dir=session).out)
    assert tapeline("snapshot", data_dir=session).code == 0
    from_snapshot = json.loads(
        tapeline("replay", "--json", "--from-snapshot", data_dir=session).out
    )
    assert from_snapshot["tables"] == full["tables"]


def test_missing_journal_is_one_clear_line(tmp_path: Path) -> None:
    result = tapeline("replay", data_dir=tmp_path / "nothing-here")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("error: no journal in")


def test_unknown_topic_is_one_clear_line(tmp_path: Path) -> None:
    source = tmp_path / "x.jsonl"
    source.write_text(GOOD[0])
    result = tapeline("log", "append", "--topic", "nope", source, data_dir=tmp_path)
    assert result.code == 2
    assert "unknown topic 'nope'" in result.err


def test_schemas_export_writes_one_schema_per_kind(tmp_path: Path) -> None:
    assert tapeline("schemas", "export", tmp_path / "out").code == 0
    written = {p.name.removesuffix(".schema.json") for p in (tmp_path / "out").iterdir()}
    assert written == {*KINDS, "envelope"}
    fill = json.loads((tmp_path / "out" / "fill.schema.json").read_text())
    assert fill["properties"]["qty"]["type"] == "string"

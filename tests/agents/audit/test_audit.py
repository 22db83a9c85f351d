"""Audit answers from chDB over a journal written by a real `tapeline run`."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agents.audit.db import AuditDb, AuditError, snapshot
from agents.audit.guard import RefusedSqlError, run_sql
from agents.audit.order import UnknownOrderError, order_trail
from agents.audit.order_index import OrderIndex
from agents.audit.positions import fills_of, positions_as_of
from agents.registry import build_agents, load_config
from agents.tables import TableName, load_tables, read_rows
from schemas import TapelineError
from streams.records import new_record
from streams.replay import Until
from streams.sqlite_journal import JOURNAL_FILE, SqliteJournal
from streams.topics import EXEC_REPORTS
from tests import factories
from tests.cli.helpers import tapeline

STATUS_OF = {
    "order_accepted": "New",
    "order_rejected": "Rejected",
    "order_partially_filled": "PartiallyFilled",
    "order_filled": "Filled",
    "order_canceled": "Canceled",
    "order_expired": "Expired",
}


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("audit")
    result = tapeline("run", "--ticks", "2000", "--orders", "100", "--seed", "5", data_dir=data)
    assert result.code == 0, result.err
    return data


@pytest.fixture(scope="module")
def live(session_dir: Path) -> dict[TableName, list[dict[str, Any]]]:
    """The agents' own tables, read (and the journal closed) before chDB opens the file."""
    journal = SqliteJournal.in_dir(session_dir)
    config = load_config(session_dir)
    tables = load_tables(journal, build_agents(config))
    journal.close_now()
    return {
        name: read_rows(name, tables, config) for name in (TableName.orders, TableName.positions)
    }


@pytest.fixture
def db(session_dir: Path) -> Iterator[AuditDb]:
    with AuditDb.open(session_dir / JOURNAL_FILE) as audit:
        yield audit


@pytest.fixture
def index(session_dir: Path) -> Iterator[OrderIndex]:
    with OrderIndex(session_dir / JOURNAL_FILE) as order_index:
        yield order_index


def test_order_trails_agree_with_the_orders_table(live: Any, index: OrderIndex) -> None:
    orders = live[TableName.orders]
    assert len(orders) == 100
    replaced = 0
    for row in orders:
        trail = order_trail(index, row["root_cl_ord_id"], row["account"])
        seqs = [entry["seq"] for entry in trail.entries]
        assert seqs == sorted(seqs)
        assert trail.entries[0]["kind"] == "submit_order"
        assert {entry["record"]["account"] for entry in trail.entries} == {row["account"]}
        statuses = [STATUS_OF[e["kind"]] for e in trail.entries if e["kind"] in STATUS_OF]
        assert statuses[-1] == row["status"]
        filled = sum(Decimal(e["record"]["qty"]) for e in trail.entries if e["kind"] == "fill")
        assert filled == Decimal(row["cum_qty"] or 0)
        if row["status"] != "Rejected":  # accepted: it passed risk
            assert trail.order_ids == (row["order_id"],)
            assert any(e["kind"] == "risk_decision" for e in trail.entries)
        assert row["cl_ord_id"] in trail.cl_ord_ids
        replaced += row["replaces"] > 0
        # The current ClOrdID and no --account give the same trail.
        again = order_trail(index, row["cl_ord_id"])
        assert [e["seq"] for e in again.entries] == seqs
    assert replaced, "the session should have replaced some orders"


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return value if isinstance(value, str) else ""


def _brute_force_trail(path: Path, account: str, asked: str) -> list[int]:
    """The closure of ``agents.audit.order`` over every record of the order topics,
    read without the index: what the index lookups must find."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT seq, topic, payload FROM journal WHERE key = ? AND topic IN "
            "('orders.commands', 'orders.events', 'risk.decisions', 'exec.reports') "
            "ORDER BY seq",
            (account,),
        ).fetchall()
    finally:
        db.close()
    mine = [(seq, topic, json.loads(payload)) for seq, topic, payload in rows]

    def names(record: dict[str, Any]) -> set[str]:
        return {_text(record, f) for f in ("cl_ord_id", "orig_cl_ord_id", "cancel_cl_ord_id")}

    seeds = {asked} | {_text(r, "orig_cl_ord_id") for _, _, r in mine if r["cl_ord_id"] == asked}
    seeds.discard("")
    events = [r for _, topic, r in mine if topic == "orders.events"]
    order_ids = {_text(r, "order_id") for r in events if names(r) & seeds} - {""}
    ids = seeds | {n for r in events if _text(r, "order_id") in order_ids for n in names(r)}
    ids.discard("")
    return [
        seq
        for seq, _, r in mine
        if _text(r, "order_id") in order_ids
        or _text(r, "cl_ord_id") in ids
        or _text(r, "orig_cl_ord_id") in ids
    ]


def test_index_lookups_find_what_a_full_scan_finds(session_dir: Path, index: OrderIndex) -> None:
    path = session_dir / JOURNAL_FILE
    db = sqlite3.connect(path)
    try:
        asked = db.execute(
            "SELECT DISTINCT key, json_extract(payload, '$.cl_ord_id') FROM journal "
            "WHERE topic = 'orders.commands' ORDER BY 1, 2"
        ).fetchall()
    finally:
        db.close()
    accounts = {row[0] for row in asked}
    assert len(asked) > 100  # every submit, and the cancel and replace requests
    assert len(accounts) > 1
    for account, cl_ord_id in asked:
        trail = order_trail(index, cl_ord_id, account)
        assert [e["seq"] for e in trail.entries] == _brute_force_trail(path, account, cl_ord_id)


def test_unknown_clordid_is_a_clear_error(index: OrderIndex) -> None:
    with pytest.raises(UnknownOrderError, match="no order or request with ClOrdID 'NOPE'"):
        order_trail(index, "NOPE")
    with pytest.raises(UnknownOrderError, match="for account 'ACC-1'"):
        order_trail(index, "NOPE", "ACC-1")
    assert issubclass(UnknownOrderError, TapelineError)


def _replay_hash(session_dir: Path, until: str) -> str:
    result = tapeline("replay", "--until", until, "--json", data_dir=session_dir)
    assert result.code == 0, result.err
    return str(json.loads(result.out)["tables"]["positions"])


def test_positions_as_of_equal_replay_until(session_dir: Path) -> None:
    config = load_config(session_dir)
    path = session_dir / JOURNAL_FILE
    with AuditDb.open(path) as db:
        end = db.end_seq
    hashes = set()
    for until, text in (
        (Until(seq=end // 3), str(end // 3)),
        (Until(seq=end), str(end)),
        (Until(ts_event=1_700_000_010_000_000_000), "2023-11-14T22:13:30Z"),
    ):
        answer = positions_as_of(path, config, until)
        assert answer.rows
        assert answer.hash == _replay_hash(session_dir, text)
        hashes.add(answer.hash)
    assert len(hashes) == 3


def test_as_of_outside_the_log_is_refused(session_dir: Path) -> None:
    config = load_config(session_dir)
    path = session_dir / JOURNAL_FILE
    with AuditDb.open(path) as db:
        end = db.end_seq
    with pytest.raises(AuditError, match="after the log ends"):
        positions_as_of(path, config, Until(seq=end + 1))
    with pytest.raises(AuditError, match="before the log began"):
        positions_as_of(path, config, Until(ts_event=1_600_000_000_000_000_000))
    with pytest.raises(AuditError, match="after the log ends"):
        positions_as_of(path, config, Until(ts_event=1_900_000_000_000_000_000))


def test_fill_sums_equal_positions_bought_and_sold(live: Any, db: AuditDb) -> None:
    positions = live[TableName.positions]
    assert positions
    for account in sorted({row["account"] for row in positions}):
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for fill in fills_of(db, account):
            assert fill["counted"]
            totals[(fill["instrument"], fill["side"])] += Decimal(fill["qty"])
        for row in (r for r in positions if r["account"] == account):
            assert totals[(row["instrument"], "buy")] == Decimal(row["bought"])
            assert totals[(row["instrument"], "sell")] == Decimal(row["sold"])
    first = fills_of(db, "ACC-1")
    window = fills_of(db, "ACC-1", first[0]["ts_event_ns"], first[0]["ts_event_ns"])
    assert [f["seq"] for f in window] == [
        f["seq"] for f in first if f["ts_event_ns"] == first[0]["ts_event_ns"]
    ]


def test_sql_answers_selects_with_exact_decimals(db: AuditDb) -> None:
    columns, rows = run_sql(db, "SELECT sum(qty * price) AS notional, count() AS n FROM fills;")
    assert columns == ["notional", "n"]
    payloads = [json.loads(r["payload"]) for r in db.rows("SELECT payload FROM fills")]
    expected = sum(Decimal(p["qty"]) * Decimal(p["price"]) for p in payloads)
    assert Decimal(str(rows[0]["notional"])) == expected
    assert rows[0]["n"] == len(payloads)
    with pytest.raises(AuditError, match="readonly"):
        db.run("CREATE TABLE sneaky (a Int8) ENGINE = Memory")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("SELECT 1; DROP VIEW events", "more than one statement"),
        ("INSERT INTO fills SELECT * FROM fills", "Insert is not a SELECT"),
        ("DROP VIEW events", "Drop is not a SELECT"),
        ("ALTER TABLE events DELETE WHERE 1", "Alter is not a SELECT"),
        ("CREATE TABLE t (a Int8) ENGINE = Memory", "Create is not a SELECT"),
        ("ATTACH TABLE t", "Attach is not a SELECT"),
        ("SYSTEM DROP DNS CACHE", "SYSTEM is not a SELECT"),
        ("SET readonly = 0", "Set is not a SELECT"),
        ("OPTIMIZE TABLE events", "Optimize is not a SELECT"),
        ("SELECT * FROM file('/etc/passwd')", "table function file()"),
        ("SELECT * FROM url('http://127.0.0.1:1/x', CSV)", "table function url()"),
        ("SELECT * FROM sqlite('/tmp/x.sqlite', 'journal')", "table function sqlite()"),
        ("SELECT * FROM (SELECT * FROM remote('h', default.t))", "table function remote()"),
        ("SELECT * FROM numbers(3)", "table function numbers()"),
        ("SELECT file('/etc/hostname')", "function file()"),
        ("SELECT * FROM system.tables", "system.tables is outside the views"),
        ("SELECT seq FROM events WHERE seq IN system.numbers", "IN system.numbers"),
        ("SELECT 1 INTO OUTFILE '/tmp/out.txt'", "INTO OUTFILE"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS"),
        ("", "empty"),
    ],
)
def test_sql_refuses_writes_and_outside_reads(db: AuditDb, statement: str, reason: str) -> None:
    with pytest.raises(RefusedSqlError, match="refused") as caught:
        run_sql(db, statement)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_sql_refuses_bad_syntax_in_one_line(db: AuditDb) -> None:
    with pytest.raises(RefusedSqlError, match="not valid ClickHouse SQL") as caught:
        run_sql(db, "SELEC 1")
    assert "\n" not in str(caught.value)


def _main_file_count(path: Path) -> int:
    """Records in the main file alone, as a reader that ignores the WAL sees them."""
    main = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(main.execute("SELECT count(*) FROM journal").fetchone()[0])
    finally:
        main.close()


def test_the_audit_checkpoints_the_wal_before_reading(tmp_path: Path) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    fills = [new_record(EXEC_REPORTS, factories.fill(exec_id=f"X-{i}")) for i in range(30)]
    with journal.transaction():
        journal.append_in_transaction(fills[:10])
    journal.checkpoint_wal()
    reader = sqlite3.connect(journal.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM journal").fetchone()  # holds the WAL's frames back
    with journal.transaction():
        journal.append_in_transaction(fills[10:])
    assert _main_file_count(journal.path) == 10  # 20 committed records only in the WAL
    reader.execute("COMMIT")
    reader.close()
    end_seq, _ = snapshot(journal.path)  # what AuditDb.open does first
    assert end_seq == 30
    assert _main_file_count(journal.path) == 30
    journal.close_now()
    with AuditDb.open(journal.path) as audit:
        assert audit.rows("SELECT count() AS n FROM fills") == [{"n": 30}]


def test_a_missing_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no journal at"):
        AuditDb.open(tmp_path / JOURNAL_FILE)

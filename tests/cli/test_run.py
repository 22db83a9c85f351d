"""The whole pipeline on the shared Binance trades and quotes, then `replay --verify`."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from streams.sqlite_journal import SqliteJournal
from tests.cli.helpers import tapeline

TERMINAL = {"Filled", "Canceled", "Rejected", "Expired"}


@pytest.fixture(scope="module")
def binance_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    market = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "market"
    trades = market / "binance-futures_trades_BTCUSDT.tardis.csv"
    quotes = market / "binance-futures_quotes_BTCUSDT.tardis.csv"
    data = tmp_path_factory.mktemp("binance")
    result = tapeline(
        "run", "--feed", f"tardis:{trades},{quotes}", "--orders", "400", data_dir=data
    )
    assert result.code == 0, result.err
    assert "orders by status" in result.out
    return data


def _query(data: Path, table: str) -> list[dict[str, object]]:
    result = tapeline("query", table, "--format", "json", data_dir=data)
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert isinstance(rows, list)
    return rows


def test_replay_rebuilds_every_table_bit_for_bit(binance_session: Path) -> None:
    result = tapeline("replay", "--verify", "--json", data_dir=binance_session)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["verified"] is True
    assert {"orders", "positions", "pnl", "exeq", "tickers", "oms"} <= set(document["tables"])
    assert document["errors"] == {}


def test_the_session_traded_and_kept_the_order_invariants(binance_session: Path) -> None:
    orders = _query(binance_session, "orders")
    assert len(orders) == 400
    statuses = {row["status"] for row in orders}
    assert "Filled" in statuses
    for row in orders:
        if row["status"] == "Rejected":
            continue
        qty, cum, leaves = (Decimal(str(row[k])) for k in ("qty", "cum_qty", "leaves_qty"))
        assert cum <= qty
        if row["status"] in TERMINAL:
            assert leaves == 0
        else:
            assert cum + leaves == qty


def test_positions_equal_the_fills_in_the_log(binance_session: Path) -> None:
    journal = SqliteJournal.in_dir(binance_session)
    signed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    exec_ids = set()
    for (payload,) in journal.db.execute("SELECT payload FROM journal WHERE kind = 'fill'"):
        fill = json.loads(payload)
        exec_ids.add((fill["account"], fill["exec_id"]))
        sign = 1 if fill["side"] == "buy" else -1
        signed[(fill["account"], fill["instrument"])] += sign * Decimal(fill["qty"])
    journal.close_now()
    assert exec_ids
    positions = {
        (row["account"], row["instrument"]): Decimal(str(row["qty"]))
        for row in _query(binance_session, "positions")
    }
    assert positions == dict(signed)
    pnl = _query(binance_session, "pnl")
    assert {row["account"] for row in pnl} == {account for account, _ in positions}


def test_execution_quality_is_measured(binance_session: Path) -> None:
    rows = _query(binance_session, "exeq")
    assert rows
    filled = [row for row in rows if row["avg_px"] is not None]
    assert filled
    assert all(row["arrival_slippage_bps"] is not None for row in filled if row["arrival_mid"])


def test_a_second_run_needs_fresh(binance_session: Path) -> None:
    again = tapeline("run", "--feed", "none", data_dir=binance_session)
    assert again.code == 2
    assert "already holds a journal" in again.err


def test_same_seed_same_session(tmp_path: Path) -> None:
    hashes = []
    for name in ("a", "b"):
        data = tmp_path / name
        assert (
            tapeline(
                "run", "--ticks", "3000", "--orders", "150", "--seed", "11", data_dir=data
            ).code
            == 0
        )
        hashes.append(json.loads(tapeline("replay", "--json", data_dir=data).out)["tables"])
    assert hashes[0] == hashes[1]

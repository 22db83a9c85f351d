"""`audit positions --as-of` and `audit fills`: answers from the log, cross-checked.

Positions as they stood at a seq or an event time are the positions agent's own fold
replayed up to that bound (``streams.replay`` with ``Until``), so the numbers are by
construction those of ``tapeline replay --until``. The same question is then asked of
the log in SQL (signed quantity, bought, sold and fill count per account and instrument,
from the ``fills`` view, one fill per event id as the fold counts them): a difference
means the fold and the log disagree, and the audit says so instead of answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from agents.audit.db import AuditDb, AuditError
from agents.registry import Config, agent_named, build_agents
from streams.replay import Until, replay
from streams.sqlite_journal import SqliteJournal

FILL_COLUMNS = (
    "seq", "time", "exec_id", "instrument", "side", "qty", "price", "fee", "fee_currency",
    "cl_ord_id", "counted",
)  # fmt: skip
POSITION_COLUMNS = (
    "account", "instrument", "qty", "avg_price", "realized_pnl", "unrealized_pnl", "mark",
    "fees", "bought", "sold", "fills",
)  # fmt: skip


@dataclass(frozen=True)
class LogBounds:
    first_seq: int
    end_seq: int
    first_ts: int
    last_ts: int


@dataclass(frozen=True)
class PositionsAsOf:
    until: Until
    rows: list[dict[str, Any]]
    hash: str
    """The positions table's state hash, as ``tapeline replay --until --json`` prints it."""
    end_seq: int


def log_bounds(journal: SqliteJournal) -> LogBounds:
    row = journal.db.execute(
        "SELECT min(seq), max(seq), min(ts_event), max(ts_event) FROM journal"
    ).fetchone()
    if row is None or row[1] is None:
        raise AuditError("the journal is empty: there is nothing to audit")
    return LogBounds(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def check_bound(bounds: LogBounds, until: Until) -> None:
    """Refuse an as-of outside the log: before it began there is no answer to give, and
    after its end the answer would silently be "now"."""
    if until.seq is not None:
        if until.seq < bounds.first_seq:
            raise AuditError(
                f"--as-of seq {until.seq} is before the log began (first seq {bounds.first_seq})"
            )
        if until.seq > bounds.end_seq:
            raise AuditError(
                f"--as-of seq {until.seq} is after the log ends (last seq {bounds.end_seq}); "
                "for the current positions use `tapeline query positions`"
            )
    if until.ts_event is not None:
        if until.ts_event < bounds.first_ts:
            raise AuditError(
                f"--as-of {until.ts_event} ns is before the log began "
                f"(first event at {bounds.first_ts} ns)"
            )
        if until.ts_event > bounds.last_ts:
            raise AuditError(
                f"--as-of {until.ts_event} ns is after the log ends (last event at "
                f"{bounds.last_ts} ns); for the current positions use `tapeline query positions`"
            )


def _bound_sql(until: Until) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if until.seq is not None:
        clauses.append("seq <= {seq:Int64}")
        params["seq"] = until.seq
    if until.ts_event is not None:
        clauses.append("ts_event_ns <= {ts:Int64}")
        params["ts"] = until.ts_event
    return " AND ".join(clauses) or "1", params


def positions_from_fills(db: AuditDb, until: Until) -> dict[tuple[str, str], dict[str, Any]]:
    """Signed qty, bought, sold, fills per (account, instrument), straight from the log."""
    where, params = _bound_sql(until)
    rows = db.rows(
        "SELECT account, instrument, sumIf(size, side = 'buy') - sumIf(size, side = 'sell') "  # noqa: S608
        "AS qty, sumIf(size, side = 'buy') AS bought, sumIf(size, side = 'sell') AS sold, "
        "count() AS fills FROM (SELECT account, instrument, side, qty AS size FROM fills "
        f"WHERE {where} ORDER BY seq LIMIT 1 BY event_id) "
        "GROUP BY account, instrument ORDER BY account, instrument",
        **params,
    )
    return {(str(row["account"]), str(row["instrument"])): row for row in rows}


def positions_as_of(path: Path, config: Config, until: Until) -> PositionsAsOf:
    """Positions at ``until``: replayed by the agents, checked against SQL over fills.

    Two phases, never overlapping (see ``agents.audit.db`` on why chDB must not read the
    file while this process holds it open): replay on the journal, closed; then SQL.
    """
    journal = SqliteJournal(path)
    try:
        journal.checkpoint_wal()
        check_bound(log_bounds(journal), until)
        agents = build_agents(config)
        chosen = [agent_named(agents, "tickers"), agent_named(agents, "positions")]
        end = journal.end_seq()
        bounded = Until(seq=min(until.seq or end, end), ts_event=until.ts_event)
        result = replay(journal, chosen, bounded)
    finally:
        journal.close_now()
    table = result.tables["positions"]
    states = {name: t.states for name, t in result.tables.items()}
    present = chosen[1].present
    assert present is not None
    rows = [present(key, state, states) for key, state in sorted(table.states.items())]
    if not result.errors:
        with AuditDb.open(path) as db:
            _cross_check(rows, positions_from_fills(db, bounded))
    return PositionsAsOf(until, rows, table.hash(), result.end_seq)


def _cross_check(rows: list[dict[str, Any]], logged: dict[tuple[str, str], dict[str, Any]]) -> None:
    folded = {(str(row["account"]), str(row["instrument"])): row for row in rows}
    if set(folded) != set(logged):
        missing = sorted(set(folded) ^ set(logged))
        raise AuditError(f"positions replay and the log's fills disagree on which exist: {missing}")
    for key, row in folded.items():
        sql = logged[key]
        for name in ("qty", "bought", "sold"):
            if Decimal(str(row[name])) != Decimal(str(sql[name])):
                raise AuditError(
                    f"positions replay and the log's fills disagree for {key[0]} {key[1]}: "
                    f"{name} {row[name]} (fold) != {sql[name]} (SQL)"
                )
        if int(row["fills"]) != int(sql["fills"]):
            raise AuditError(f"fill counts differ for {key[0]} {key[1]}")


def fills_of(
    db: AuditDb, account: str, start_ns: int | None = None, end_ns: int | None = None
) -> list[dict[str, Any]]:
    """The account's fills in log order; ``counted`` False marks a repeated event id."""
    clauses = ["account = {account:String}"]
    params: dict[str, Any] = {"account": account}
    if start_ns is not None:
        clauses.append("ts_event_ns >= {start:Int64}")
        params["start"] = start_ns
    if end_ns is not None:
        clauses.append("ts_event_ns <= {end:Int64}")
        params["end"] = end_ns
    rows = db.rows(
        "SELECT seq, toString(ts_event) AS time, ts_event_ns, event_id, "  # noqa: S608
        "causation_id, exec_id, account, instrument, side, toString(qty) AS qty, "
        "toString(price) AS price, toString(fee) AS fee, fee_currency, cl_ord_id, liquidity, "
        f"counted = 1 AS counted FROM fills WHERE {' AND '.join(clauses)} ORDER BY seq",
        **params,
    )
    for row in rows:
        row["counted"] = bool(row["counted"])
    return rows

"""Reading the live tables as rows: what `tapeline query`, the run summary and the
gateway show. Decimals are strings, times integer ns (JSON-friendly)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from agents.exeq.table import summary_rows
from agents.pnl.read import pnl_rows
from agents.registry import Config, build_agents
from streams.agent import Agent
from streams.recovery import recovered_tables
from streams.sqlite_journal import SqliteJournal


class TableName(StrEnum):
    orders = "orders"
    positions = "positions"
    pnl = "pnl"
    exeq = "exeq"
    alerts = "alerts"
    tickers = "tickers"


class View(StrEnum):
    """What of a table to show: its rows, or a derived view of them."""

    rows = "rows"
    summary = "summary"
    """exeq: aggregates per account and instrument."""
    history = "history"
    """pnl: the PnL-over-time series per account."""


TABLE_COLUMNS: dict[TableName, tuple[str, ...]] = {
    TableName.orders: (
        "account", "cl_ord_id", "instrument", "side", "order_type", "tif", "qty",
        "limit_price", "cum_qty", "avg_px", "status", "reject_reason",
    ),
    TableName.positions: (
        "account", "instrument", "qty", "avg_price", "realized_pnl", "unrealized_pnl",
        "mark", "fees",
    ),
    TableName.exeq: (
        "account", "cl_ord_id", "instrument", "side", "fill_rate", "arrival_slippage_bps",
        "vwap_slippage_bps", "implementation_shortfall_bps", "markout_1s_bps", "final",
    ),
}  # fmt: skip
EXEQ_SUMMARY_COLUMNS = (
    "account", "instrument", "orders", "fill_rate", "arrival_slippage_bps",
    "vwap_slippage_bps", "implementation_shortfall_bps", "markout_1s_bps", "markout_60s_bps",
)  # fmt: skip
"""Columns for the terminal table (JSON always has every field)."""


def load_tables(journal: SqliteJournal, agents: Sequence[Agent[Any]]) -> dict[str, dict[str, Any]]:
    """Every presentable table as a restarted runtime sees it (saved rows + the log's tail)."""
    shown = [agent for agent in agents if agent.present]
    return {name: table.states for name, table in recovered_tables(journal, shown).items()}


def read_rows(
    name: TableName,
    tables: Mapping[str, Mapping[str, Any]],
    config: Config,
    view: View = View.rows,
    account: str | None = None,
) -> list[dict[str, Any]]:
    agents = {agent.name: agent for agent in build_agents(config)}
    if name is TableName.pnl and view is View.rows:
        rows = pnl_rows(tables["positions"], tables["tickers"], config.registry)
    elif name is TableName.exeq and view is View.summary:
        rows = summary_rows(tables["exeq"].values())
    else:
        agent = agents[name.value]
        assert agent.present is not None
        rows = [agent.present(key, state, tables) for key, state in sorted(tables[name].items())]
    if account is not None:
        rows = [row for row in rows if row.get("account") == account]
    return rows

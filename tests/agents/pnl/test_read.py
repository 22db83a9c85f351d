"""pnl_rows: PnL per account from the positions table and the marks at read time."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from agents.instruments import InstrumentRegistry
from agents.pnl.read import pnl_rows
from agents.positions.fold import apply_fill
from agents.positions.state import Position
from agents.tickers.state import Ticker
from tests.factories import BTC, fill

REGISTRY = InstrumentRegistry()
COINBASE = "coinbase:BTC-USD"
ETH = "binance-futures:ETHUSDT"


def positions(fills: list[Any]) -> dict[str, Position]:
    table: dict[str, Position] = {}
    for item in fills:
        key = f"{item.account}|{item.instrument}"
        start = table.get(key) or Position(account=item.account, instrument=item.instrument)
        table[key] = apply_fill(start, item, REGISTRY.require(item.instrument))
    return table


def test_marks_by_mid_then_last_trade_per_currency() -> None:
    table = positions(
        [
            fill(exec_id="X-1", qty="2", price="100", fee="0.2"),
            fill(exec_id="X-2", instrument=COINBASE, side="sell", qty="1", price="50",
                 fee="0.05", fee_currency="USD"),
            fill(exec_id="X-3", instrument=ETH, qty="3", price="10"),
            fill(exec_id="X-4", account="ACC-2", side="sell", qty="1", price="100"),
            fill(exec_id="X-5", account="ACC-2", side="buy", qty="1", price="90"),
        ]
    )  # fmt: skip
    tickers = {
        BTC: Ticker(instrument=BTC, bid=D("104"), ask=D("106"), last_price=D("1")),
        COINBASE: Ticker(instrument=COINBASE, last_price=D("48")),
    }
    acc1, acc2 = pnl_rows(table, tickers, REGISTRY)
    # BTC long 2 @ 100 marked at mid 105: 2 * (105 - 100) = 10 USDT; realized -0.2 (fee)
    # coinbase short 1 @ 50 marked at last trade 48: -1 * (48 - 50) = 2 USD; realized -0.05
    # ETH has no ticker: unmarked, adds nothing
    assert acc1["account"] == "ACC-1"
    assert acc1["by_currency"] == {
        "USD": {"realized_pnl": "-0.05", "unrealized_pnl": "2"},
        "USDT": {"realized_pnl": "-0.2", "unrealized_pnl": "10"},
    }
    assert (acc1["realized_pnl"], acc1["unrealized_pnl"], acc1["total_pnl"]) == (
        "-0.25",
        "12",
        "11.75",
    )
    assert acc1["marks"] == {BTC: "105", COINBASE: "48"}
    assert acc1["unmarked"] == [ETH]
    assert acc1["fees"] == {"USD": "0.05", "USDT": "0.2"}
    assert acc1["open_positions"] == 3
    # ACC-2: sold 1 @ 100 and bought back @ 90: realized 10, flat, nothing to mark
    assert (acc2["realized_pnl"], acc2["unrealized_pnl"], acc2["marks"]) == ("10", "0", {})
    assert acc2["open_positions"] == 0


def test_no_positions_no_rows() -> None:
    assert pnl_rows({}, {}, REGISTRY) == []

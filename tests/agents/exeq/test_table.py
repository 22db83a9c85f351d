"""The exeq table: latest report per order, aggregates per account and instrument."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

from agents.exeq.agent import build
from agents.exeq.state import ExeqRow
from agents.exeq.table import apply_report, initial_row, present, row_key, summary_rows
from schemas import ExecutionQuality
from tests.factories import BTC, T0


def report(**fields: Any) -> ExecutionQuality:
    data: dict[str, Any] = {
        "account": "ACC-1",
        "cl_ord_id": "C-1",
        "order_id": "O-1",
        "instrument": BTC,
        "side": "buy",
        "order_qty": "2",
        "cum_qty": "2",
        "fees": "0",
        "fill_rate": "1",
        "final": False,
        "ts_event": T0,
        **fields,
    }
    return ExecutionQuality.model_validate(data)


def fold(*reports: ExecutionQuality) -> dict[str, ExeqRow]:
    rows: dict[str, ExeqRow] = {}
    for item in reports:
        key = row_key(item)
        rows[key] = apply_report(rows.get(key) or initial_row(key), item)
    return rows


def test_final_replaces_provisional_but_not_the_other_way() -> None:
    provisional = report(markout_60s_bps="1", ts_event=T0)
    final = report(markout_60s_bps="2", final=True, ts_event=T0 + 5)
    rows = fold(provisional, final, provisional)
    row = rows["ACC-1|O-1"]
    assert (row.final, row.markout_60s_bps, row.reports) == (True, D("2"), 3)
    assert fold(provisional)["ACC-1|O-1"].markout_60s_bps == D("1")


def test_present_is_json_friendly() -> None:
    row = fold(report(arrival_slippage_bps="12.5000", avg_px="100.1"))["ACC-1|O-1"]
    shown = present("ACC-1|O-1", row, {})
    assert shown["arrival_slippage_bps"] == "12.5000"
    assert shown["markout_1s_bps"] is None
    assert shown["order_qty"] == "2"
    assert json.loads(json.dumps(shown)) == shown
    assert build().present is present


def test_summary_weights_bps_by_filled_quantity() -> None:
    rows = fold(
        report(order_id="O-1", cum_qty="1", order_qty="4", arrival_slippage_bps="10"),
        report(order_id="O-2", cum_qty="3", order_qty="4", arrival_slippage_bps="30"),
        report(order_id="O-3", cum_qty="0", order_qty="2", fill_rate="0"),  # no weight
        report(order_id="O-4", account="ACC-2", arrival_slippage_bps="-5", markout_1s_bps="7"),
    )
    acc1, acc2 = summary_rows(rows.values())
    # (1 * 10 + 3 * 30) / (1 + 3) = 100 / 4 = 25 bps; fill rate (1 + 3 + 0) / (4 + 4 + 2)
    assert acc1["arrival_slippage_bps"] == "25.0000"
    assert acc1["fill_rate"] == "0.4"
    assert (acc1["orders"], acc1["filled_orders"]) == (3, 2)
    assert acc1["markout_1s_bps"] is None
    assert (acc2["account"], acc2["arrival_slippage_bps"]) == ("ACC-2", "-5.0000")
    assert acc2["markout_1s_bps"] == "7.0000"

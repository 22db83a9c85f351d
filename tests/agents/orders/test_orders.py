"""The orders table: one row per order, folded from what the OMS recorded."""

from __future__ import annotations

import json
from typing import Any

from agents.orders.agent import build
from schemas import ExecCanceled
from streams.codec import decode_payload
from streams.state import Table
from tests.agents.oms.harness import ALPHA, Desk
from tests.factories import T0, cancel, fill, replace, submit


def orders_table(desk: Desk) -> Table[Any]:
    table: Table[Any] = Table(build())
    for out in desk.recorded:
        if out.kind in table.agent.kinds:
            table.fold(out.event_id, decode_payload(out.kind, out.payload))
    return table


def rows(desk: Desk) -> dict[str, dict[str, Any]]:
    table = orders_table(desk)
    present = table.agent.present
    assert present is not None
    return {key: present(key, state, {}) for key, state in table.states.items()}


def alpha_fill(exec_id: str, qty: str, price: str, cl_ord_id: str, ts: int) -> Any:
    return fill(
        exec_id=exec_id,
        qty=qty,
        price=price,
        cl_ord_id=cl_ord_id,
        instrument=ALPHA,
        fee_currency="USD",
        ts_event=ts,
    )


def test_one_row_per_order_through_its_life() -> None:
    desk = Desk()
    desk.send(submit(instrument=ALPHA, limit_price="100", qty="10", ts_event=T0))
    desk.send(alpha_fill("E-1", "4", "99.5", "C-1", T0 + 1))
    desk.send(
        replace(
            cl_ord_id="C-2", orig_cl_ord_id="C-1", qty="8", limit_price="100.5", ts_event=T0 + 2
        )
    )
    desk.send(alpha_fill("E-2", "1", "100.5", "C-2", T0 + 3))
    desk.send(cancel(cl_ord_id="X-1", orig_cl_ord_id="C-2", ts_event=T0 + 4))
    row = rows(desk)["ACC-1|ACC-1-1"]
    assert row == {
        "account": "ACC-1",
        "order_id": "ACC-1-1",
        "cl_ord_id": "C-2",
        "root_cl_ord_id": "C-1",
        "instrument": ALPHA,
        "side": "buy",
        "order_type": "limit",
        "tif": "DAY",
        "limit_price": "100.5",
        "qty": "8",
        "cum_qty": "5",
        "leaves_qty": "0",
        "avg_px": "99.7",
        "status": "Canceled",
        "arrival_mid": "100.00",
        "reject_rule": None,
        "reject_reason": None,
        "cancel_reason": "canceled on request",
        "fills": 2,
        "replaces": 1,
        "ts_accepted": T0,
        "ts_last": T0 + 4,
    }
    json.dumps(row)  # JSON-friendly as it is


def test_rejected_orders_get_a_row_too() -> None:
    desk = Desk()
    desk.send(submit(instrument=ALPHA, limit_price="150", ts_event=T0))
    row = rows(desk)["ACC-1|rejected:C-1"]
    assert (row["status"], row["reject_rule"], row["order_id"]) == (
        "Rejected",
        "price_collar",
        "rejected:C-1",
    )
    # the rejection carries the requested terms, so the row shows what was refused
    assert (row["qty"], row["side"], row["limit_price"], row["leaves_qty"]) == (
        "1",
        "buy",
        "150",
        "0",
    )


def test_fill_replace_to_cum_and_expiry_statuses() -> None:
    desk = Desk()
    desk.send(submit(instrument=ALPHA, limit_price="100", qty="5"))
    desk.send(submit(cl_ord_id="C-2", instrument=ALPHA, limit_price="100", qty="5"))
    desk.send(submit(cl_ord_id="C-3", instrument=ALPHA, limit_price="100", qty="5"))
    desk.send(alpha_fill("E-1", "5", "100", "C-1", T0))
    desk.send(alpha_fill("E-2", "2", "100", "C-2", T0))
    desk.send(replace(cl_ord_id="C-4", orig_cl_ord_id="C-2", qty="2", limit_price="100"))
    desk.send(
        ExecCanceled(
            account="ACC-1",
            cl_ord_id="C-3",
            order_id="ACC-1-3",
            instrument=ALPHA,
            canceled_qty="5",
            expired=True,
            reason="DAY",
            ts_event=T0,
        )
    )
    table = rows(desk)
    assert table["ACC-1|ACC-1-1"]["status"] == "Filled"
    assert table["ACC-1|ACC-1-2"]["status"] == "Filled"
    assert table["ACC-1|ACC-1-2"]["leaves_qty"] == "0"
    assert table["ACC-1|ACC-1-3"]["status"] == "Expired"
    assert table["ACC-1|ACC-1-3"]["avg_px"] is None


def test_snapshot_plus_tail_equals_a_full_fold() -> None:
    desk = Desk()
    desk.send(submit(instrument=ALPHA, limit_price="100", qty="5"))
    desk.send(alpha_fill("E-1", "2", "100", "C-1", T0))
    desk.send(submit(cl_ord_id="C-2", instrument=ALPHA, limit_price="1"))
    desk.send(alpha_fill("E-2", "3", "101", "C-1", T0 + 1))
    full = orders_table(desk)
    split: Table[Any] = Table(build())
    half = len(desk.recorded) // 2
    for out in desk.recorded[:half]:
        split.fold(out.event_id, decode_payload(out.kind, out.payload))
    restored: Table[Any] = Table(build())
    for key, value in split.encoded_rows():
        restored.load_row(key, value)
    for out in desk.recorded[half:]:
        restored.fold(out.event_id, decode_payload(out.kind, out.payload))
    assert restored.hash() == full.hash()
    assert sorted(full.states) == ["ACC-1|ACC-1-1", "ACC-1|rejected:C-2"]

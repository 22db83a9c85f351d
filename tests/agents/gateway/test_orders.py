"""Order entry over real HTTP against the embedded engine: the OMS's real decisions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.agents.gateway.server import BTC, Server, order


def end_seq(client: httpx.Client) -> int:
    answer = client.get("/health")
    assert answer.status_code == 200
    return int(answer.json()["journal_end_seq"])


@pytest.fixture
def trader(server: Server) -> Iterator[httpx.Client]:
    with server.client("trader") as client:
        yield client


def test_place_replace_cancel_round_trip(trader: httpx.Client) -> None:
    placed = trader.post("/orders", json=order("RT-1"))
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["status"] == "accepted"
    assert body["order_id"].startswith("ACC-1-")
    assert body["arrival_mid"] == "10000.0"
    assert body["event_id"].startswith("gw:")

    replaced = trader.post("/orders/RT-1/replace", json={"cl_ord_id": "RT-2", "qty": "0.7"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "replaced"
    assert replaced.json()["order_id"] == body["order_id"]
    assert replaced.json()["qty"] == "0.7"
    assert replaced.json()["limit_price"] == "9000"

    row = trader.get("/orders/RT-2").json()
    assert (row["qty"], row["status"], row["root_cl_ord_id"]) == ("0.7", "New", "RT-1")

    canceled = trader.post("/orders/RT-2/cancel", json={"cl_ord_id": "RT-3"})
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert trader.get("/orders/RT-2").json()["status"] == "Canceled"


def test_market_order_fills_and_moves_the_position(trader: httpx.Client) -> None:
    before = {row["instrument"]: row for row in trader.get("/positions").json()}
    placed = trader.post(
        "/orders", json=order("MKT-1", order_type="market", limit_price=None, qty="0.25")
    )
    assert placed.status_code == 201, placed.text
    assert trader.get("/orders/MKT-1").json()["status"] == "Filled"
    positions = {row["instrument"]: row for row in trader.get("/positions").json()}
    held_before = Decimal(before[BTC]["qty"]) if BTC in before else Decimal(0)
    assert Decimal(positions[BTC]["qty"]) == held_before + Decimal("0.25")
    assert all(row["account"] == "ACC-1" for row in trader.get("/pnl").json())
    assert "MKT-1" in [row["cl_ord_id"] for row in trader.get("/exeq").json()]


def test_risk_rejection_names_rule_limit_and_observed(trader: httpx.Client) -> None:
    answer = trader.post("/orders", json=order("RISK-1", limit_price="20000"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "rejected"
    assert body["rule"] == "price_collar"
    assert body["limit"]
    assert body["observed"]
    assert body["reason"]


def test_replace_rejected_by_risk_carries_the_rule(trader: httpx.Client) -> None:
    assert trader.post("/orders", json=order("RR-1")).status_code == 201
    answer = trader.post("/orders/RR-1/replace", json={"cl_ord_id": "RR-2", "qty": "900000"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "rejected"
    assert answer.json()["rule"] == "max_order_notional"


def test_cancel_of_unknown_order_is_a_recorded_rejection(trader: httpx.Client) -> None:
    answer = trader.post("/orders/NOPE-1/cancel", json={"cl_ord_id": "NOPE-2"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "rejected"
    assert "unknown order" in answer.json()["reason"]


def test_replayed_clordid_is_409_and_never_applied_twice(trader: httpx.Client) -> None:
    first = trader.post("/orders", json=order("DUP-1"))
    assert first.status_code == 201
    again = trader.post("/orders", json=order("DUP-1"))
    assert again.status_code == 409, again.text
    assert again.json()["rule"] == "duplicate_cl_ord_id"
    rows = [row for row in trader.get("/orders").json() if row["root_cl_ord_id"] == "DUP-1"]
    assert sorted(row["status"] for row in rows) == ["New", "Rejected"]
    assert trader.get("/orders/DUP-1").json()["order_id"] == first.json()["order_id"]
    cancel = trader.post("/orders/DUP-1/cancel", json={"cl_ord_id": "DUP-C"})
    assert cancel.status_code == 200
    cancel_again = trader.post("/orders/DUP-1/cancel", json={"cl_ord_id": "DUP-C"})
    assert cancel_again.status_code == 409, cancel_again.text


BAD_BODIES: list[tuple[str, dict[str, Any] | str, int, str]] = [
    ("float qty", order("B-1", qty=0.5), 422, "decimals are JSON strings"),
    ("float price", order("B-2", limit_price=9000.0), 422, "body.limit_price"),
    ("int qty", order("B-3", qty=1), 422, "decimals are JSON strings"),
    ("unknown field", {**order("B-4"), "foo": 1}, 422, "unknown field 'foo'"),
    ("kind not accepted", {**order("B-5"), "kind": "submit_order"}, 422, "unknown field 'kind'"),
    ("ts_event not accepted", {**order("B-6"), "ts_event": 1}, 422, "unknown field 'ts_event'"),
    ("wrong type", order("B-7", side=1), 422, "body.side"),
    ("bad side", order("B-8", side="hold"), 422, "body.side"),
    ("missing field", {k: v for k, v in order("B-9").items() if k != "qty"}, 422, "body.qty"),
    ("negative qty", order("B-10", qty="-1"), 422, "not a positive decimal"),
    ("zero qty", order("B-11", qty="0"), 422, "greater than zero"),
    ("NaN qty", order("B-12", qty="NaN"), 422, "not a positive decimal"),
    ("limit without price", order("B-13", limit_price=None), 422, "needs limit_price"),
    ("market with price", order("B-14", order_type="market"), 422, "takes no limit_price"),
    ("unknown instrument", order("B-15", instrument="nowhere:XYZ"), 422, "unknown instrument"),
    ("bad clordid", order("B 16"), 422, "body.cl_ord_id"),
    ("star account", order("B-17", account="*"), 422, "body.account"),
    ("malformed JSON", '{"account": ', 422, "malformed JSON"),
    ("array body", "[1, 2]", 422, "body"),
    ("NaN literal", '{"qty": NaN}', 422, "body"),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "message"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_bad_input_is_4xx_with_a_precise_message_and_writes_nothing(
    trader: httpx.Client, name: str, body: dict[str, Any] | str, status: int, message: str
) -> None:
    before = end_seq(trader)
    if isinstance(body, str):
        answer = trader.post("/orders", content=body, headers={"content-type": "application/json"})
    else:
        answer = trader.post("/orders", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert "Traceback" not in answer.text
    assert end_seq(trader) == before


def test_unknown_account_for_a_desk_wide_key(server: Server) -> None:
    with server.client("admin") as admin:
        answer = admin.post("/orders", json=order("UA-1", account="ACC-404"))
        assert answer.status_code == 422
        assert "unknown account 'ACC-404'" in answer.json()["error"]
        assert admin.get("/orders", params={"account": "ACC-404"}).status_code == 404


def test_huge_payload_is_413(trader: httpx.Client) -> None:
    before = end_seq(trader)
    padded = {**order("HUGE-1"), "pad": "x" * (70 * 1024)}
    answer = trader.post("/orders", json=padded)
    assert answer.status_code == 413
    assert "over 65536 bytes" in answer.json()["error"]
    chunked = trader.post("/orders", content=iter([b"{" + b" " * 40_000] * 2))
    assert chunked.status_code == 413
    assert end_seq(trader) == before


def test_risk_check_answers_without_writing(server: Server) -> None:
    with server.client("risk") as risk:
        before = end_seq(risk)
        check = {"account": "ACC-1", "instrument": BTC, "side": "buy", "order_type": "limit"}
        ok = risk.post("/risk/check", json={**check, "qty": "1", "limit_price": "10000"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["approved"] is True
        big = risk.post("/risk/check", json={**check, "qty": "5000", "limit_price": "10000"})
        assert big.json()["approved"] is False
        assert big.json()["rule"] == "max_order_notional"
        off_grid = risk.post("/risk/check", json={**check, "qty": "1", "limit_price": "10000.001"})
        assert off_grid.json()["rule"] == "tick_size"
        used = risk.post(
            "/risk/check", json={**check, "qty": "1", "limit_price": "10000", "cl_ord_id": "RT-1"}
        )
        assert used.json()["rule"] == "duplicate_cl_ord_id"
        no_price = risk.post("/risk/check", json={**check, "qty": "1"})
        assert no_price.status_code == 422
        assert end_seq(risk) == before


def test_audit_trail_follows_the_order_through_replace_and_cancel(server: Server) -> None:
    with server.client("auditor") as auditor:
        answer = auditor.get("/audit/order/RT-1")
        assert answer.status_code == 200, answer.text
        trail = answer.json()["accounts"]["ACC-1"]
        kinds = [entry["kind"] for entry in trail]
        assert kinds[0] == "submit_order"
        for kind in ("order_accepted", "replace_order", "order_replaced", "cancel_order"):
            assert kind in kinds
        assert kinds[-1] == "order_canceled"
        seqs = [entry["seq"] for entry in trail]
        assert seqs == sorted(seqs)
        assert auditor.get("/audit/order/NEVER-SEEN").status_code == 404


def test_metrics_count_requests_and_outcomes(server: Server) -> None:
    with server.client("admin") as admin:
        text = admin.get("/metrics").text
    assert 'tapeline_gateway_requests_total{method="POST",route="/orders",status="201"}' in text
    assert 'tapeline_gateway_orders_total{outcome="accepted"}' in text
    assert 'tapeline_gateway_request_seconds_bucket{route="/orders",le="+Inf"}' in text


def test_openapi_is_served(server: Server) -> None:
    with server.client() as anonymous:
        spec = anonymous.get("/openapi.json").json()
    assert {"/orders", "/risk/check", "/kill-switch", "/auth/token"} <= set(spec["paths"])
    qty = spec["components"]["schemas"]["OrderRequest"]["properties"]["qty"]
    assert qty["type"] == "string"

"""``GET /audit/order/{cl_ord_id}`` over real HTTP: the same trail as ``tapeline audit
order`` (``agents.audit.order``), scoped by the key, while the engine keeps committing."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from agents.audit.order import order_trail
from agents.audit.order_index import OrderIndex
from streams.sqlite_journal import JOURNAL_FILE
from tests.agents.gateway.server import Server, order

ENTRY_FIELDS = {"seq", "topic", "kind", "event_id", "ts_event", "causation_id", "record"}


def audit(server: Server, cl_ord_id: str, **params: str) -> httpx.Response:
    with server.client("auditor") as auditor:
        return auditor.get(f"/audit/order/{cl_ord_id}", params=params)


def kinds_and_ids(trail: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(entry["kind"], entry["record"]["cl_ord_id"]) for entry in trail]


def test_the_trail_is_the_cli_audit_trail(server: Server) -> None:
    with server.client("trader") as trader:
        placed = trader.post("/orders", json=order("AU-1"))
        assert placed.status_code == 201, placed.text
        assert (
            trader.post("/orders/AU-1/replace", json={"cl_ord_id": "AU-2", "qty": "0.7"}).json()[
                "status"
            ]
            == "replaced"
        )
        assert (
            trader.post("/orders/AU-2/cancel", json={"cl_ord_id": "AU-3"}).json()["status"]
            == "canceled"
        )
    for asked in ("AU-1", "AU-2", "AU-3"):
        answer = audit(server, asked)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["cl_ord_id"] == asked
        assert list(body["accounts"]) == ["ACC-1"]
        trail = body["accounts"]["ACC-1"]
        assert all(set(entry) == ENTRY_FIELDS for entry in trail)
        with OrderIndex(server.data_dir / JOURNAL_FILE) as index:
            expected = order_trail(index, asked, "ACC-1").entries
        assert trail == [{name: entry[name] for name in ENTRY_FIELDS} for entry in expected]
        assert {entry["record"].get("order_id") for entry in trail} >= {placed.json()["order_id"]}


def test_a_rejected_replace_does_not_rename_the_order(server: Server) -> None:
    """``RJ-2`` replaced a closed order, so it never named it: a request aimed at ``RJ-2``
    is not part of ``RJ-1``'s life (the gateway's former closure pulled it in)."""
    with server.client("trader") as trader:
        assert trader.post("/orders", json=order("RJ-1")).status_code == 201
        assert trader.post("/orders/RJ-1/cancel", json={"cl_ord_id": "RJ-C"}).status_code == 200
        rejected = trader.post("/orders/RJ-1/replace", json={"cl_ord_id": "RJ-2", "qty": "0.7"})
        assert rejected.json()["status"] == "rejected", rejected.text
        stray = trader.post("/orders/RJ-2/cancel", json={"cl_ord_id": "RJ-3"})
        assert stray.json()["status"] == "rejected", stray.text
    first = kinds_and_ids(audit(server, "RJ-1").json()["accounts"]["ACC-1"])
    assert ("replace_order", "RJ-2") in first  # it targeted RJ-1
    assert ("order_replace_rejected", "RJ-2") in first
    assert all(cl_ord_id != "RJ-3" for _, cl_ord_id in first)
    stray_trail = kinds_and_ids(audit(server, "RJ-3").json()["accounts"]["ACC-1"])
    assert ("cancel_order", "RJ-3") in stray_trail
    assert ("order_cancel_rejected", "RJ-3") in stray_trail
    assert ("submit_order", "RJ-1") not in stray_trail


def test_scope_and_account_parameter(server: Server) -> None:
    with server.client("trader2") as trader2:
        assert trader2.post("/orders", json=order("SC-1", account="ACC-2")).status_code == 201
    with server.client("trader") as trader:
        assert trader.post("/orders", json=order("SC-2")).status_code == 201
    assert audit(server, "SC-1").status_code == 403  # ACC-2 is not the auditor's
    assert audit(server, "SC-1", account="ACC-2").status_code == 403
    assert audit(server, "SC-2", account="ACC-3").status_code == 404  # in scope, not there
    assert audit(server, "SC-2", account="ACC-1").json()["accounts"].keys() == {"ACC-1"}
    assert audit(server, "NEVER-SEEN").status_code == 404
    with server.client("trader") as trader:  # no audit permission
        assert trader.get("/audit/order/SC-2").status_code == 403
    with server.client("admin") as admin:
        assert admin.get("/audit/order/SC-1").json()["accounts"].keys() == {"ACC-2"}


def test_audits_beside_a_stream_of_orders(server: Server) -> None:
    """Audits catch the index up in the journal's file while the engine commits orders."""
    placed: list[str] = []
    failures: list[str] = []

    def place() -> None:
        with server.client("trader") as trader:
            for n in range(40):
                answer = trader.post("/orders", json=order(f"ST-{n}"))
                if answer.status_code != 201:
                    failures.append(answer.text)
                placed.append(f"ST-{n}")

    writer = threading.Thread(target=place)
    writer.start()
    audited = 0
    while writer.is_alive() or audited < len(placed):
        if audited == len(placed):
            writer.join(0.01)  # nothing new to audit yet
            continue
        answer = audit(server, placed[audited])
        assert answer.status_code == 200, answer.text
        assert answer.json()["accounts"]["ACC-1"][0]["kind"] == "submit_order"
        audited += 1
    writer.join()
    assert failures == []
    assert audited == 40

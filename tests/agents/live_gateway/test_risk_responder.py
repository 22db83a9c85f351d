"""``risk.check`` over NATS request/reply, answered from the live OMS state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.live_gateway import RiskResponder, book_judge
from agents.oms.agent import NAME as OMS
from agents.registry import Config, embedded_runtime
from streams.nats_bus import RISK_CHECK_SUBJECT, NatsLink
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS
from tests.factories import BTC, quote, submit

pytestmark = pytest.mark.anyio


async def test_risk_check_request_reply(link: NatsLink, pub_link: NatsLink, tmp_path: Path) -> None:
    config = Config()
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, config)
    runtime.submit(
        [
            new_record(MD_TICKS, quote()),
            new_record(ORDERS_COMMANDS, submit(account="ACC-R", cl_ord_id="USED-1")),
        ]
    )
    oms = runtime.tables()[OMS]
    responder = RiskResponder(
        link, book_judge(oms.get, config.limits, lambda: runtime.view), blocking=False
    )
    await responder.start()

    async def ask(body: bytes) -> dict[str, object]:
        reply = await pub_link.nc.request(RISK_CHECK_SUBJECT, body, timeout=5)
        answer = json.loads(reply.data)
        assert isinstance(answer, dict)
        return answer

    order = {
        "account": "ACC-R",
        "cl_ord_id": "NEW-1",
        "instrument": BTC,
        "side": "buy",
        "order_type": "limit",
        "qty": "1",
        "limit_price": "10000",
    }
    try:
        passed = await ask(json.dumps(order).encode())
        assert passed["kind"] == "risk_decision"
        assert passed["approved"] is True
        collar = await ask(json.dumps(order | {"limit_price": "20000"}).encode())
        assert collar["approved"] is False
        assert collar["rule"] == "price_collar"
        duplicate = await ask(json.dumps(order | {"cl_ord_id": "USED-1"}).encode())
        assert duplicate["rule"] == "duplicate_cl_ord_id"  # the live book knows USED-1
        grid = await ask(json.dumps(order | {"limit_price": "10000.01234"}).encode())
        assert grid["approved"] is False
        assert (await ask(b"not json"))["error"] == "invalid_request"
        missing = await ask(json.dumps({"account": "ACC-R"}).encode())
        assert missing["error"] == "invalid_request"
        assert "field" in str(missing["detail"])
        assert (await ask(b"[1, 2]"))["error"] == "invalid_request"
        again = await ask(json.dumps(order | {"cl_ord_id": "NEW-2"}).encode())
        assert again["approved"] is True  # still answering after bad requests
        assert responder.answered == 5
        assert responder.refused == 3
    finally:
        await responder.stop()
        journal.close_now()

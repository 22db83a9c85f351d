"""PublishingRuntime + LivePublisher against a real NATS: what a commit publishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nats.aio.msg import Msg

from agents.live_gateway import publishing_runtime
from agents.registry import Config
from streams.nats_bus import LivePublisher, NatsLink, subject_token
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import EXEC_REPORTS, MD_TICKS, ORDERS_COMMANDS
from tests.factories import fill as make_fill
from tests.factories import quote, submit

pytestmark = pytest.mark.anyio


def test_subject_tokens_escape_dots_and_wildcards() -> None:
    assert subject_token("binance-futures:BTCUSDT") == "binance-futures:BTCUSDT"
    assert subject_token("nyse:BRK.B") == "nyse:BRK%2EB"
    assert subject_token("a*b>c d%") == "a%2Ab%3Ec%20d%25"


async def test_a_commit_publishes_records_and_changed_rows_once(
    link: NatsLink, pub_link: NatsLink, tmp_path: Path
) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    async def collect(msg: Msg) -> None:
        received.append((msg.subject, json.loads(msg.data)))

    for pattern in ("ticks.*", "orders.ACC-P", "fills.ACC-P", "positions.ACC-P", "pnl.ACC-P"):
        await link.nc.subscribe(pattern, cb=collect)
    await link.nc.flush()
    publisher = LivePublisher(pub_link)
    publisher.start()
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = publishing_runtime(journal, Config(), publisher)
    try:
        runtime.submit(
            [
                new_record(MD_TICKS, quote()),
                new_record(ORDERS_COMMANDS, submit(account="ACC-P", cl_ord_id="P-1")),
                new_record(EXEC_REPORTS, make_fill(account="ACC-P", exec_id="X-P")),
            ]
        )
        runtime.catchup()  # outputs read back as inputs must not be published again
        await publisher.flushed()
        marker = "orders.ACC-P"
        await pub_link.nc.publish(marker, b'{"end": true}')
        await pub_link.nc.flush()
        await link.nc.flush()
    finally:
        await publisher.stop()
        journal.close_now()
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for name, body in received:
        by_subject.setdefault(name, []).append(body)
    tick = by_subject["ticks.binance-futures:BTCUSDT"]
    assert [t["kind"] for t in tick] == ["quote"]
    assert tick[0]["seq"] >= 1
    orders = [o for o in by_subject["orders.ACC-P"] if "end" not in o]
    assert len(orders) == len({o["event_id"] for o in orders}) >= 1
    assert orders[0]["cl_ord_id"] == "P-1"
    assert orders[0]["topic"] == "orders.events"
    fills = by_subject["fills.ACC-P"]
    assert [f["exec_id"] for f in fills] == ["X-P"]
    positions = by_subject["positions.ACC-P"]
    assert positions[-1]["table"] == "positions"
    assert positions[-1]["qty"] == "1"
    pnl = by_subject["pnl.ACC-P"]
    assert pnl[-1]["account"] == "ACC-P"
    assert "points" not in pnl[-1]
    assert publisher.stats.errors == 0
    assert publisher.stats.dropped_updates == 0

"""The WebSocket live gateway end to end: real NATS, real uvicorn, real client."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from agents.live_gateway import SLOW_CONSUMER, LiveHub, publishing_runtime
from agents.registry import Config
from streams.nats_bus import LivePublisher, NatsLink, subject
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS, ORDERS_EVENTS
from tests.agents.live_gateway.conftest import REPO, serving
from tests.agents.live_gateway.wsclient import (
    events,
    next_frame,
    open_client,
    read_until,
    subscribe,
)
from tests.factories import BTC, T0, quote, submit

pytestmark = pytest.mark.anyio


class Waiter:
    """A hub sink of the test's own: set once a frame containing ``marker`` passed the
    hub (the client's outbox got it in the same callback)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.seen = asyncio.Event()

    def deliver(self, frame: str, tick: bool) -> None:
        if self.marker in frame:
            self.seen.set()


async def test_client_receives_ticks_and_only_its_own_accounts_updates(
    link: NatsLink, tmp_path: Path
) -> None:
    hub = LiveHub(link)
    publisher = LivePublisher(link)
    publisher.start()
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = publishing_runtime(journal, Config(), publisher)
    try:
        async with serving(hub) as url:
            alice = await open_client(url, "tok-alice")
            bob = await open_client(url, None)
            await bob.send(json.dumps({"op": "auth", "token": "tok-bob"}))
            welcome = await next_frame(alice)
            assert welcome["type"] == "welcome"
            assert welcome["accounts"] == ["ACC-A"]
            assert (await next_frame(bob))["principal"] == "bob"
            await subscribe(alice, f"ticks:{BTC}", "orders")
            await subscribe(bob, "orders")
            runtime.submit(
                [
                    new_record(MD_TICKS, quote(ts_event=T0)),
                    new_record(ORDERS_COMMANDS, submit(account="ACC-A", cl_ord_id="A-1")),
                    new_record(ORDERS_COMMANDS, submit(account="ACC-B", cl_ord_id="B-1")),
                    new_record(ORDERS_COMMANDS, submit(account="ACC-A", cl_ord_id="A-2")),
                ]
            )
            await publisher.flushed()
            # Ticks and orders come through two subscriptions: no order between them.
            seen: set[str] = set()

            def both(frame: dict[str, Any]) -> bool:
                data = frame.get("data")
                if isinstance(data, dict):
                    seen.add(str(data.get("cl_ord_id") or data.get("kind")))
                return {"A-2", "quote"} <= seen

            got = await read_until(alice, both)
            ticks, orders = events(got, f"ticks:{BTC}"), events(got, "orders")
            assert [t["kind"] for t in ticks] == ["quote"]
            assert ticks[0]["topic"] == MD_TICKS
            assert ticks[0]["bid"] == "9999.5"
            assert {o["account"] for o in orders} == {"ACC-A"}
            assert [o["cl_ord_id"] for o in orders][:1] == ["A-1"]
            assert all(o["topic"] == "orders.events" and o["event_id"] for o in orders)
            got_bob = await read_until(bob, lambda f: f["type"] == "event")
            assert events(got_bob, "orders")[0]["cl_ord_id"] == "B-1"
            await alice.close()
            await bob.close()
    finally:
        await publisher.stop()
        journal.close_now()


async def test_bad_messages_get_errors_and_the_connection_stays(link: NatsLink) -> None:
    async with serving(LiveHub(link)) as url:
        ws = await open_client(url, "tok-alice")
        await next_frame(ws)
        for bad in ("not json", "[1]", '{"op": "dance"}', '{"op": "subscribe"}'):
            await ws.send(bad)
            assert (await next_frame(ws))["type"] == "error"
        await ws.send(json.dumps({"op": "subscribe", "channels": ["weather", "orders:ACC-B"]}))
        errors = [await next_frame(ws), await next_frame(ws)]
        assert [e["error"] for e in errors] == ["unknown_channel", "forbidden"]
        assert (await next_frame(ws))["channels"] == []
        await ws.send('{"op": "ping"}')
        assert (await next_frame(ws))["type"] == "pong"
        await ws.close()
        intruder = await open_client(url, "tok-nobody")
        assert (await next_frame(intruder))["error"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            await intruder.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401


def tick_body(index: int) -> bytes:
    return json.dumps({"kind": "quote", "instrument": BTC, "n": index, "pad": "x" * 150}).encode()


def update_body(index: int) -> bytes:
    return json.dumps({"kind": "order_accepted", "account": "ACC-A", "n": index}).encode()


async def test_slow_client_loses_old_ticks_never_order_updates(
    link: NatsLink, pub_link: NatsLink
) -> None:
    hub = LiveHub(link)
    tick_subject, order_subject = subject("ticks", BTC), subject("orders", "ACC-A")
    last_tick, last_update = Waiter('"n": 2999,'), Waiter('"n": 29}')
    await hub.add((tick_subject,), "probe", last_tick, True)
    await hub.add((order_subject,), "probe", last_update, False)
    async with serving(hub, capacity=32, send_buffer=4096) as url:
        ws = await open_client(url, "tok-alice", receive_buffer=4096, max_queue=1)
        await next_frame(ws)
        await subscribe(ws, f"ticks:{BTC}", "orders")
        for index in range(3000):  # the client reads nothing meanwhile
            await pub_link.nc.publish(tick_subject, tick_body(index))
            if index % 100 == 99:
                await pub_link.nc.publish(order_subject, update_body(index // 100))
        await pub_link.nc.flush()
        await _within(last_tick.seen.wait(), "the last tick never reached the hub")
        await _within(last_update.seen.wait(), "the last update never reached the hub")
        last: set[str] = set()

        def both_last(frame: dict[str, Any]) -> bool:
            number = frame.get("data", {}).get("n")
            if (frame.get("channel"), number) in (("orders", 29), (f"ticks:{BTC}", 2999)):
                last.add(frame["channel"])
            return len(last) == 2

        got = await read_until(ws, both_last)
        ticks = [t["n"] for t in events(got, f"ticks:{BTC}")]
        assert [u["n"] for u in events(got, "orders")] == list(range(30))
        assert 2999 in ticks  # the newest tick is never the one dropped
        assert len(ticks) < 3000  # ...old ticks were
        assert ticks == sorted(ticks)
        await ws.close()


async def test_order_update_overflow_closes_with_a_reason(
    link: NatsLink, pub_link: NatsLink
) -> None:
    hub = LiveHub(link)
    order_subject = subject("orders", "ACC-A")
    last = Waiter('"n": 1999}')
    await hub.add((order_subject,), "probe", last, False)
    async with serving(hub, capacity=8, send_buffer=4096) as url:
        ws = await open_client(url, "tok-alice", receive_buffer=4096, max_queue=1)
        await next_frame(ws)
        await subscribe(ws, "orders")
        for index in range(2000):
            await pub_link.nc.publish(order_subject, update_body(index))
        await pub_link.nc.flush()
        await _within(last.seen.wait(), "the last update never reached the hub")
        received: list[int] = []

        async def read_all() -> None:
            while True:
                received.append(json.loads(await ws.recv())["data"]["n"])

        with pytest.raises(ConnectionClosed) as closed:
            await read_all()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == SLOW_CONSUMER
        assert "slow consumer" in closed.value.rcvd.reason
        assert received == list(range(len(received)))
        assert len(received) < 2000


async def _deploy(action: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(REPO / "deploy" / action), "nats", stdout=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0


async def test_live_client_keeps_receiving_after_nats_restarts(
    link: NatsLink, pub_link: NatsLink
) -> None:
    hub = LiveHub(link)
    publisher = LivePublisher(pub_link)
    publisher.start()
    js = pub_link.nc.jetstream()
    stream = "TEST_LIVE_RESTART"
    await js.add_stream(name=stream, subjects=["orders.ACC-R"], storage="file")
    try:
        async with serving(hub) as url:
            ws = await open_client(url, "tok-alice")
            await next_frame(ws)
            await subscribe(ws, f"ticks:{BTC}")
            await pub_link.nc.publish(subject("ticks", BTC), tick_body(1))
            assert (await next_frame(ws))["data"]["n"] == 1
            await _deploy("down")
            # Bounded waits on the server's events: a NATS that never went away (another
            # checkout's) fails the test with a reason instead of hanging the suite.
            await _within(link.down.wait(), "the link never saw NATS go down")
            await _within(pub_link.down.wait(), "the publisher never saw NATS go down")
            tick = new_record(MD_TICKS, quote())
            order = new_record(ORDERS_COMMANDS, submit(account="ACC-R"))
            accepted = dataclasses.replace(order, topic=ORDERS_EVENTS)
            publisher.publish_committed([tick, accepted])
            assert publisher.stats.dropped_ticks == 1
            assert publisher.pending() == (0, 1)  # the update waits for the reconnect
            await _deploy("up")
            await _within(link.wait_reconnects(1), "the link never reconnected")
            await _within(pub_link.wait_reconnects(1), "the publisher never reconnected")
            await _within(publisher.flushed(), "the queued update was never flushed")
            assert publisher.pending() == (0, 0)
            assert publisher.stats.dropped_updates == 0
            info = await js.stream_info(stream)
            assert info.state.messages == 1  # the queued update reached the server
            await pub_link.nc.publish(subject("ticks", BTC), tick_body(2))
            assert (await next_frame(ws))["data"]["n"] == 2
            await ws.close()
    finally:
        await _deploy("up")  # idempotent: leave NATS up whatever failed
        if pub_link.down.is_set():
            await pub_link.wait_reconnects(1)
        await js.delete_stream(stream)
        await publisher.stop()


SERVER_EVENT_WAIT = 60.0
"""Seconds to wait for NATS to go away or come back before failing with a reason."""


async def _within(waiting: Any, what: str) -> None:
    try:
        await asyncio.wait_for(waiting, SERVER_EVENT_WAIT)
    except TimeoutError:
        pytest.fail(f"{what} within {SERVER_EVENT_WAIT:.0f} s")

"""One WebSocket client: its principal, its channels, its outbox and its sender task."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import WebSocket

from agents.live_gateway.channels import Principal, Route
from agents.live_gateway.hub import LiveHub
from agents.live_gateway.outbox import Outbox

SLOW_CONSUMER = 4008
"""Close code: the client fell so far behind that order updates overflowed its queue."""
UNAUTHORIZED = 4401


def frame(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


class Session:
    def __init__(self, websocket: WebSocket, hub: LiveHub, principal: Principal, capacity: int):
        self.websocket = websocket
        self.hub = hub
        self.principal = principal
        self.outbox = Outbox(capacity)
        self.routes: dict[str, Route] = {}
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        self._ready = asyncio.Event()

    # -- the hub side (any time, never blocks) -------------------------------------------

    def deliver(self, frame_text: str, tick: bool) -> None:
        if self.closed.is_set():
            return
        if not self.outbox.offer(frame_text, tick):
            self.close_reason = (
                f"slow consumer: order updates overflowed the send queue "
                f"({self.outbox.capacity}); reconnect and resync"
            )
            self.closed.set()
        self._ready.set()

    def reply(self, kind: str, **fields: Any) -> None:
        """A control message (welcome, subscribed, error): never dropped like a tick."""
        self.deliver(frame(kind, **fields), False)

    # -- the sender task ------------------------------------------------------------------

    async def send_loop(self) -> None:
        """Send queued frames in order until the session closes."""
        outbox, send = self.outbox, self.websocket.send_text
        while not self.closed.is_set():
            await self._ready.wait()
            self._ready.clear()
            while not self.closed.is_set():
                message = outbox.pop()
                if message is None:
                    break
                await send(message)

    async def subscribe(self, route: Route) -> bool:
        if route.channel in self.routes:
            return False
        self.routes[route.channel] = route
        await self.hub.add(route.subjects, route.channel, self, route.tick)
        return True

    async def unsubscribe(self, channel: str) -> bool:
        route = self.routes.pop(channel, None)
        if route is None:
            return False
        await self.hub.remove(route.subjects, route.channel, self)
        return True

    async def release(self) -> None:
        self.closed.set()
        self._ready.set()
        for channel in list(self.routes):
            await self.unsubscribe(channel)

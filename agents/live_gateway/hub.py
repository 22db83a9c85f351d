"""Fan-out from NATS to WebSocket clients: one NATS subscription per subject, shared.

A subject's subscription is opened by its first client and closed with its last, so a
hundred clients watching BTCUSDT cost the server one subscription and the gateway one
message. Each message becomes one text frame per channel (built once) and is offered to
every client's ``Outbox``; a client's own task sends it (sessions.py), so a slow client
never slows the others or the NATS reader.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Protocol

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from streams.nats_bus import NatsLink


class Sink(Protocol):
    """A client as the hub sees it."""

    def deliver(self, frame: str, tick: bool) -> None: ...


def event_frame(channel: str, body: bytes) -> str:
    """``{"type":"event","channel":...,"data":<the NATS body as is>}``."""
    return '{"type":"event","channel":' + json.dumps(channel) + ',"data":' + body.decode() + "}"


class _Topic:
    def __init__(self, tick: bool) -> None:
        self.tick = tick
        self.subscription: Subscription | None = None
        self.sinks: dict[str, set[Sink]] = {}
        """channel -> clients that asked for this subject through that channel."""

    def empty(self) -> bool:
        return not any(self.sinks.values())


class LiveHub:
    def __init__(self, link: NatsLink) -> None:
        self.link = link
        self._topics: dict[str, _Topic] = {}
        self.delivered = 0

    def subjects(self) -> set[str]:
        return set(self._topics)

    async def add(self, subjects: tuple[str, ...], channel: str, sink: Sink, tick: bool) -> None:
        """Route ``subjects`` to ``sink`` as ``channel``; returns once the server has
        the subscriptions (a message published afterwards reaches the client)."""
        opened = False
        for name in subjects:
            topic = self._topics.get(name)
            if topic is None:
                topic = self._topics[name] = _Topic(tick)
                topic.subscription = await self.link.nc.subscribe(
                    name, cb=self._callback(name, topic)
                )
                opened = True
            topic.sinks.setdefault(channel, set()).add(sink)
        if opened and self.link.nc.is_connected:
            await self.link.nc.flush()

    async def remove(self, subjects: tuple[str, ...], channel: str, sink: Sink) -> None:
        for name in subjects:
            topic = self._topics.get(name)
            if topic is None:
                continue
            sinks = topic.sinks.get(channel)
            if sinks is not None:
                sinks.discard(sink)
                if not sinks:
                    del topic.sinks[channel]
            if topic.empty():
                del self._topics[name]
                if topic.subscription is not None and not self.link.nc.is_closed:
                    await topic.subscription.unsubscribe()

    def _callback(self, name: str, topic: _Topic) -> Callable[[Msg], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            body = msg.data
            tick = topic.tick
            for channel, sinks in list(topic.sinks.items()):
                if not sinks:
                    continue
                frame = event_frame(channel, body)
                for sink in list(sinks):
                    sink.deliver(frame, tick)
                    self.delivered += 1

        return on_message

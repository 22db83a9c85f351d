"""A real WebSocket client (the ``websockets`` library) and reading helpers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

Frame = dict[str, Any]


async def open_client(
    url: str, token: str | None, *, receive_buffer: int | None = None, max_queue: int = 16
) -> ClientConnection:
    """Connect with ``Authorization: Bearer token``; a small ``receive_buffer`` and
    ``max_queue`` make a client that stops reading stall the server quickly."""
    sock = None
    if receive_buffer is not None:
        parts = urlsplit(url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
        sock.setblocking(False)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return await connect(url, additional_headers=headers, sock=sock, max_queue=max_queue)


FRAME_WAIT = 60.0
"""Seconds a test waits for the server's next frame before it fails with a reason."""


async def next_frame(ws: ClientConnection) -> Frame:
    try:
        text = await asyncio.wait_for(ws.recv(), FRAME_WAIT)
    except TimeoutError:
        raise AssertionError(f"no frame from the live gateway within {FRAME_WAIT:.0f} s") from None
    frame = json.loads(text)
    assert isinstance(frame, dict)
    return frame


async def read_until(ws: ClientConnection, done: Callable[[Frame], bool]) -> list[Frame]:
    """Frames up to and including the first for which ``done`` is true."""
    frames = []
    while True:
        frame = await next_frame(ws)
        frames.append(frame)
        if done(frame):
            return frames


async def subscribe(ws: ClientConnection, *channels: str) -> Frame:
    await ws.send(json.dumps({"op": "subscribe", "channels": list(channels)}))
    frames = await read_until(ws, lambda f: f["type"] == "subscribed")
    return frames[-1]


def events(frames: list[Frame], channel: str) -> list[Frame]:
    return [f["data"] for f in frames if f["type"] == "event" and f["channel"] == channel]

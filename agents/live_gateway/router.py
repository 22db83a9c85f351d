"""The ``/ws`` endpoint as a FastAPI ``APIRouter`` the gateway app includes.

Authentication: a bearer token in the ``Authorization`` header, the ``token`` query
parameter, or the first message; the app injects ``authenticate`` (no dependency on the
auth package here). A bad message gets an error frame and the connection stays; a bad
token, or a client too slow to take its order updates, gets the connection closed with
a code and a reason (channels.py describes the protocol).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agents.live_gateway.channels import (
    Authenticate,
    Principal,
    ProtocolError,
    bearer,
    parse_channels,
    route,
)
from agents.live_gateway.hub import LiveHub
from agents.live_gateway.session import SLOW_CONSUMER, UNAUTHORIZED, Session, frame

MAX_MESSAGE_CHARS = 65_536
NOT_READY = 1013
"""Close code (try again later): the gateway is not connected to NATS yet."""


def live_router(
    hub_of: Callable[[], LiveHub | None],
    authenticate: Authenticate,
    *,
    path: str = "/ws",
    queue_capacity: int = 1024,
    known_instrument: Callable[[str], bool] | None = None,
) -> APIRouter:
    """``hub_of()`` returns the running hub (None before the app's startup connected it);
    ``queue_capacity`` bounds each client's send queue; ``known_instrument`` (e.g. the
    instrument registry's ``__contains__``) refuses ticks of unknown instruments."""
    router = APIRouter()

    @router.websocket(path)
    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        hub = hub_of()
        if hub is None:
            await websocket.close(NOT_READY, "live gateway not connected to NATS yet")
            return
        token = websocket.query_params.get("token") or bearer(
            websocket.headers.get("authorization")
        )
        first: dict[str, Any] | None = None
        try:
            if token is None:
                first = await _first_message(websocket)
                token = first.get("token") if first is not None else None
            principal = await _authenticated(authenticate, token)
        except WebSocketDisconnect:
            return
        if principal is None:
            await websocket.send_text(frame("error", error="unauthorized", detail=_AUTH_HINT))
            await websocket.close(UNAUTHORIZED, "unauthorized")
            return
        session = Session(websocket, hub, principal, queue_capacity)
        await _serve(session, first, known_instrument)

    return router


_AUTH_HINT = "send a valid bearer token (Authorization header, ?token=, or a first message)"


async def _first_message(websocket: WebSocket) -> dict[str, Any] | None:
    text = await _receive_text(websocket)
    if text is None:
        raise WebSocketDisconnect(1000)
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


async def _authenticated(authenticate: Authenticate, token: object) -> Principal | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        return await asyncio.to_thread(authenticate, token)
    except Exception:  # any failure to authenticate is "unauthorized", never a crash
        return None


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next text frame; None when the client left. A binary frame reads as ''."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if isinstance(text, str) else ""


async def _serve(
    session: Session, first: dict[str, Any] | None, known: Callable[[str], bool] | None
) -> None:
    principal = session.principal
    sender = asyncio.create_task(session.send_loop())
    session.reply(
        "welcome",
        principal=principal.principal,
        role=principal.role,
        accounts=sorted(principal.accounts),
    )
    receiver = asyncio.create_task(_receive_loop(session, first, known))
    closing = asyncio.create_task(session.closed.wait())
    try:
        await asyncio.wait({sender, receiver, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver, closing):
            task.cancel()
        await asyncio.gather(sender, receiver, closing, return_exceptions=True)
        await session.release()
    if session.close_reason is not None:
        with contextlib.suppress(Exception):  # the client may be gone already
            await session.websocket.close(SLOW_CONSUMER, session.close_reason[:120])


async def _receive_loop(
    session: Session, first: dict[str, Any] | None, known: Callable[[str], bool] | None
) -> None:
    if first is not None and first.get("op") not in (None, "auth"):
        await _handle(session, first, known)
    while True:
        text = await _receive_text(session.websocket)
        if text is None:
            return
        try:
            if len(text) > MAX_MESSAGE_CHARS:
                raise ProtocolError("invalid_message", f"over {MAX_MESSAGE_CHARS} characters")
            try:
                message = json.loads(text)
            except ValueError:
                raise ProtocolError("invalid_message", "not a JSON text message") from None
            if not isinstance(message, dict):
                raise ProtocolError("invalid_message", "a message is a JSON object with an op")
            await _handle(session, message, known)
        except ProtocolError as error:
            session.reply("error", error=error.code, detail=error.detail)


async def _handle(
    session: Session, message: dict[str, Any], known: Callable[[str], bool] | None
) -> None:
    op = message.get("op")
    if op == "ping":
        session.reply("pong")
    elif op == "subscribe":
        added = []
        for channel in parse_channels(message):
            try:
                target = route(channel, session.principal, known)
            except ProtocolError as error:
                session.reply("error", error=error.code, detail=error.detail, channel=channel)
                continue
            await session.subscribe(target)
            added.append(target.channel)
        session.reply("subscribed", channels=added, active=sorted(session.routes))
    elif op == "unsubscribe":
        removed = []
        for channel in parse_channels(message):
            if isinstance(channel, str) and await session.unsubscribe(channel):
                removed.append(channel)
        session.reply("unsubscribed", channels=removed, active=sorted(session.routes))
    elif op == "auth":
        raise ProtocolError("invalid_message", "already authenticated")
    else:
        raise ProtocolError("unknown_op", f"unknown op {op!r} (subscribe, unsubscribe, ping)")

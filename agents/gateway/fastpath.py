"""The front door of the two hot routes, ``POST /orders`` and ``POST /risk/check``.

Profiling the gateway at a few hundred requests/s put most of a request's CPU in
FastAPI's machinery (walking the route table, solving dependencies, re-validating the
answer), not in the work. This ASGI layer answers a request to either route whose every
check passes: a JSON body that the route's own pydantic model accepts (``validate_json``
on the bytes), a bearer token or a cached API key whose role allows the route, the same
scope, account and instrument checks (the route's own functions), then the key's rate
limit. It does the same work with the same functions, so the answer is the one the
FastAPI route would give.

Anything else goes on to the FastAPI route unchanged (the body replayed), which answers
it as always: every 401/403/413/422/429 keeps its one implementation there. Nothing is
written before the last check, so a request handed on has changed nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.responses import Response

from agents.auth import Permission, Principal, TokenError
from agents.gateway.metrics import App, Message, Receive, Scope, Send
from agents.gateway.models import OrderRequest, RiskCheckRequest
from agents.gateway.orders import checked_order, submit_order
from agents.gateway.risk import checked_terms, judge_terms
from agents.gateway.state import Gateway

Answer = Callable[[], Awaitable[Response]]
Prepare = Callable[[Gateway, Principal, bytes], Awaitable[Answer]]
"""Checks a request (raising what the FastAPI route would raise) and returns what
answers it: the part that may write."""


async def _order(gateway: Gateway, principal: Principal, raw: bytes) -> Answer:
    body = OrderRequest.model_validate_json(raw)
    command = await checked_order(gateway, principal, body)
    return lambda: submit_order(gateway, command, body)


async def _risk_check(gateway: Gateway, principal: Principal, raw: bytes) -> Answer:
    terms = await checked_terms(gateway, principal, RiskCheckRequest.model_validate_json(raw))
    return lambda: judge_terms(gateway, terms)


ROUTES: dict[str, tuple[Permission, Prepare]] = {
    "/orders": (Permission.trade, _order),
    "/risk/check": (Permission.risk_check, _risk_check),
}


def _principal(gateway: Gateway, headers: dict[bytes, bytes]) -> Principal | None:
    """The caller, when its credentials are good without any slow check; None sends the
    request to the route (which tells a wrong credential from an uncached API key)."""
    authorization = headers.get(b"authorization")
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return gateway.tokens.verify(token.strip())
        except TokenError:
            return None
    api_key = headers.get(b"x-api-key")
    return gateway.keys.cached(api_key.decode("latin-1")) if api_key is not None else None


class FastPath:
    def __init__(self, app: App, gateway: Gateway, routes: list[Any]) -> None:
        self.app = app
        self.gateway = gateway
        self.routes = {
            route.path: route
            for route in routes
            if isinstance(route, APIRoute) and route.path in ROUTES and route.methods == {"POST"}
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        message = await receive()  # the whole body: BodyLimitMiddleware buffered it
        answer = await self._prepared(scope, message)
        if answer is None:
            await self.app(scope, _replay(message, receive), send)
            return
        scope["route"] = route  # the metrics' route label
        response = await answer()
        await response(scope, receive, send)

    async def _prepared(self, scope: Scope, message: Message) -> Answer | None:
        if message["type"] != "http.request" or message.get("more_body", False):
            return None
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)
        if headers.get(b"content-type") != b"application/json":
            return None
        principal = _principal(self.gateway, headers)
        permission, prepare = ROUTES[scope["path"]]
        if principal is None or not principal.may(permission):
            return None
        try:
            answer = await prepare(self.gateway, principal, message.get("body", b""))
        except (ValidationError, HTTPException):
            return None
        if self.gateway.limiter.take(principal.key_id):
            return None  # over the rate limit: the route answers the 429
        return answer


def _replay(message: Message, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return message
        return await receive()

    return replay

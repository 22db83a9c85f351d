"""The live gateway's wire protocol: who the client is, and what its messages mean.

Client -> server (JSON text frames):

* ``{"op": "auth", "token": "..."}`` (or any first message with a ``token``), unless the
  token came in the ``Authorization: Bearer`` header or the ``token`` query parameter;
* ``{"op": "subscribe", "channels": ["ticks:binance-futures:BTCUSDT", "orders", ...]}``;
* ``{"op": "unsubscribe", "channels": [...]}``; ``{"op": "ping"}``.

Channels: ``ticks:<instrument>`` (``ticks:*`` for every instrument), and the account
channels ``orders``, ``fills``, ``positions``, ``pnl``, ``alerts``: every account of the
principal, or ``orders:<account>`` for one of them.

Server -> client: ``{"type": "welcome"|"subscribed"|"unsubscribed"|"pong"|"error", ...}``
and ``{"type": "event", "channel": "...", "data": {record or row}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from streams.nats_bus import TICKS, subject

ALL_ACCOUNTS = "*"
ACCOUNT_CHANNELS: Mapping[str, str] = {
    "orders": "orders",
    "fills": "fills",
    "positions": "positions",
    "pnl": "pnl",
    "alerts": "alerts",
}
"""Channel name -> NATS subject prefix (``<prefix>.<account>``)."""
MAX_CHANNELS = 256


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is connected: the name, the role and the accounts in scope (``*``: all)."""

    principal: str
    role: str
    accounts: frozenset[str]

    def covers(self, account: str) -> bool:
        return ALL_ACCOUNTS in self.accounts or account in self.accounts


class Authenticate(Protocol):
    """Turns a bearer token (JWT or API key) into a Principal; None or an exception
    means the token is not valid. It may block (argon2): it runs in a worker thread."""

    def __call__(self, token: str) -> Principal | None: ...


class ProtocolError(Exception):
    """A client message the gateway cannot act on: answered with an error message."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Route:
    """One client channel as the NATS subjects that feed it."""

    channel: str
    subjects: tuple[str, ...]
    tick: bool


def route(
    channel: object, principal: Principal, known_instrument: Callable[[str], bool] | None
) -> Route:
    if not isinstance(channel, str) or not channel:
        raise ProtocolError("invalid_channel", f"a channel is a non-empty string, not {channel!r}")
    name, _, arg = channel.partition(":")
    if name == TICKS:
        if not arg:
            raise ProtocolError("invalid_channel", "ticks needs an instrument: ticks:<instrument>")
        if arg == "*":
            return Route(channel, (f"{TICKS}.*",), True)
        if known_instrument is not None and not known_instrument(arg):
            raise ProtocolError("unknown_instrument", f"unknown instrument {arg!r}")
        return Route(channel, (subject(TICKS, arg),), True)
    prefix = ACCOUNT_CHANNELS.get(name)
    if prefix is None:
        known = ", ".join(["ticks:<instrument>", *ACCOUNT_CHANNELS])
        raise ProtocolError("unknown_channel", f"unknown channel {channel!r} (known: {known})")
    if arg:
        if arg == ALL_ACCOUNTS or not principal.covers(arg):
            raise ProtocolError("forbidden", f"account {arg!r} is not in your scope")
        return Route(channel, (subject(prefix, arg),), False)
    if ALL_ACCOUNTS in principal.accounts:
        return Route(channel, (f"{prefix}.*",), False)
    return Route(channel, tuple(subject(prefix, a) for a in sorted(principal.accounts)), False)


def parse_channels(message: Mapping[str, Any]) -> list[object]:
    channels = message.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ProtocolError("invalid_message", "channels must be a non-empty list of strings")
    if len(channels) > MAX_CHANNELS:
        raise ProtocolError("invalid_message", f"at most {MAX_CHANNELS} channels per message")
    return channels


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None

"""What the app holds: the engine, the key store, the token issuer, limiters, metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from fastapi import Request

from agents.auth import KeyStore, Principal, RateLimit, RateLimiter, TokenIssuer
from agents.auth.tokens import DEFAULT_TTL_SECONDS
from agents.gateway.bodylimit import DEFAULT_MAX_BODY
from agents.gateway.engine import GatewayEngine
from agents.gateway.metrics import Metrics
from agents.gateway.worker import EngineWorker

KEY_ACCOUNTS_SECONDS = 1.0
"""How long the accounts the API keys name are reused before the key store is asked
again (a key created meanwhile by ``tapeline auth create-key`` shows within this)."""
TOKEN_CACHE_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    rate_limit: RateLimit = field(default_factory=RateLimit)
    """Per API key (tokens carry the key's id, so they share its bucket)."""
    login_limit: RateLimit = field(default_factory=lambda: RateLimit(rate=5, burst=20))
    """Per client address, for API-key verifications (argon2 is costly by design)."""
    token_ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY


class VerifiedTokens:
    """Bearer tokens whose signature and claims were checked, by token, with their
    expiry: a hit is checked against the wall clock every time, so a cached token stops
    working the second it expires, as an uncached one would. Only verified tokens enter
    (a forged one is checked, and refused, every time); the cache is bounded."""

    def __init__(self, issuer: TokenIssuer, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self._clock = clock
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        """The token's principal; TokenError for a forged, tampered or expired one."""
        hit = self._verified.get(token)
        if hit is not None:
            if self._clock() < hit[1]:
                return hit[0]
            self._verified.pop(token, None)
        principal = self.issuer.verify(token)
        # Verified just above (signature, issuer, required claims): read its expiry.
        expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        if len(self._verified) >= TOKEN_CACHE_ENTRIES:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal


class KeyAccounts:
    """The accounts API keys name, reread from the key store at most every
    ``KEY_ACCOUNTS_SECONDS`` (one small SQLite read instead of one per request)."""

    def __init__(self, keys: KeyStore, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys = keys
        self._clock = clock
        self._names: set[str] = set()
        self._until = float("-inf")

    def __contains__(self, account: object) -> bool:
        now = self._clock()
        if now >= self._until:
            self._names = self._keys.accounts()
            self._until = now + KEY_ACCOUNTS_SECONDS
        return account in self._names


@dataclass(slots=True)
class Gateway:
    engine: GatewayEngine
    keys: KeyStore
    issuer: TokenIssuer
    settings: GatewaySettings
    limiter: RateLimiter
    login_limiter: RateLimiter
    metrics: Metrics
    worker: EngineWorker
    tokens: VerifiedTokens
    key_accounts: KeyAccounts
    engine_accounts: set[str] = field(default_factory=set)
    """Accounts the engine has confirmed (OMS state or the limits file): they stay
    accounts for the process's life, so each is asked of the engine thread once."""


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway

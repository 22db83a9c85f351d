"""What the app holds: the engine, the key store, the token issuer, limiters, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from agents.auth import KeyStore, RateLimit, RateLimiter, TokenIssuer
from agents.auth.tokens import DEFAULT_TTL_SECONDS
from agents.gateway.bodylimit import DEFAULT_MAX_BODY
from agents.gateway.engine import GatewayEngine
from agents.gateway.metrics import Metrics


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    rate_limit: RateLimit = field(default_factory=RateLimit)
    """Per API key (tokens carry the key's id, so they share its bucket)."""
    login_limit: RateLimit = field(default_factory=lambda: RateLimit(rate=5, burst=20))
    """Per client address, for API-key verifications (argon2 is costly by design)."""
    token_ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY


@dataclass(slots=True)
class Gateway:
    engine: GatewayEngine
    keys: KeyStore
    issuer: TokenIssuer
    settings: GatewaySettings
    limiter: RateLimiter
    login_limiter: RateLimiter
    metrics: Metrics


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway

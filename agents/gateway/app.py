"""The REST gateway: ``create_app(data_dir)`` builds a FastAPI app that owns one embedded
runtime, the single writer of the data dir (run no other runtime on it meanwhile)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse

from agents.auth import KeyStore, Permission, Principal, RateLimiter, TokenIssuer, load_jwt_secret
from agents.gateway import audit, errors, orders, reads, risk
from agents.gateway.bodylimit import BodyLimitMiddleware
from agents.gateway.engine import GatewayEngine
from agents.gateway.metrics import Metrics, MetricsMiddleware
from agents.gateway.models import ErrorBody, TokenRequest, TokenResponse
from agents.gateway.security import requires, unauthorized, verify_api_key
from agents.gateway.state import Gateway, GatewaySettings, gateway_of
from streams.sqlite_journal import Durability

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def create_app(
    data_dir: Path,
    *,
    settings: GatewaySettings | None = None,
    engine: GatewayEngine | None = None,
    durability: Durability = "normal",
) -> FastAPI:
    """The gateway over ``data_dir``. ``engine`` lets a caller that already runs the
    data dir's runtime (``tapeline run --serve``) share it; otherwise one is opened here
    and closed when the app shuts down."""
    settings = settings or GatewaySettings()
    owned = engine is None
    engine = engine or GatewayEngine.open(data_dir, durability)
    keys = KeyStore.in_dir(data_dir)
    gateway = Gateway(
        engine=engine,
        keys=keys,
        issuer=TokenIssuer(load_jwt_secret(data_dir), settings.token_ttl_seconds),
        settings=settings,
        limiter=RateLimiter(settings.rate_limit),
        login_limiter=RateLimiter(settings.login_limit),
        metrics=Metrics(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        keys.close()
        if owned:
            engine.close()

    app = FastAPI(
        title="Tapeline gateway",
        version="1",
        summary="Orders, positions, PnL, execution quality, risk checks and audit.",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    errors.install(app)
    for module in (orders, reads, risk, audit):
        app.include_router(module.router)
    _add_service_routes(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=gateway.metrics)
    return app


def _add_service_routes(app: FastAPI) -> None:
    @app.post(
        "/auth/token",
        response_model=TokenResponse,
        tags=["auth"],
        responses={code: {"model": ErrorBody} for code in (401, 413, 422, 429)},
    )
    def token(body: TokenRequest, request: Request) -> TokenResponse:
        """Exchange an API key for a short-lived bearer token."""
        gateway = gateway_of(request)
        principal = verify_api_key(gateway, request, body.api_key)
        if principal is None:
            raise unauthorized("invalid API key")
        access = gateway.issuer.issue(principal)
        return TokenResponse(access_token=access, expires_in=gateway.issuer.ttl_seconds)

    @app.get("/health", tags=["service"])
    def health(request: Request) -> dict[str, Any]:
        engine = gateway_of(request).engine
        try:
            end = engine.journal.end_seq()
        except Exception:
            raise HTTPException(503, "the journal is not readable") from None
        return {"status": "ok", "journal_end_seq": end}

    @app.get(
        "/metrics",
        tags=["service"],
        response_class=PlainTextResponse,
        responses={code: {"model": ErrorBody} for code in (401, 403, 429)},
    )
    def metrics(
        request: Request, principal: Annotated[Principal, Depends(requires(Permission.metrics))]
    ) -> PlainTextResponse:
        text = gateway_of(request).metrics.render()
        return PlainTextResponse(text, media_type=PROMETHEUS_TEXT)


__all__ = ["GatewaySettings", "RateLimiter", "TokenIssuer", "create_app"]

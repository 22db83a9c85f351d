"""The REST gateway: ``create_app(data_dir)`` builds a FastAPI app that owns one embedded
runtime, the single writer of the data dir (run no other runtime on it meanwhile)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse

from agents.auth import KeyStore, Permission, Principal, RateLimiter, TokenIssuer, load_jwt_secret
from agents.auth.tokens import TokenError
from agents.gateway import audit, errors, orders, reads, risk
from agents.gateway.bodylimit import BodyLimitMiddleware
from agents.gateway.engine import GatewayEngine
from agents.gateway.fastpath import FastPath
from agents.gateway.metrics import Metrics, MetricsMiddleware
from agents.gateway.models import ErrorBody, TokenRequest, TokenResponse
from agents.gateway.security import requires, unauthorized, verify_api_key
from agents.gateway.state import Gateway, GatewaySettings, KeyAccounts, VerifiedTokens, gateway_of
from agents.gateway.web import mount_dashboard
from agents.gateway.worker import EngineWorker
from agents.live_gateway import LiveGateway, locked_judge
from agents.live_gateway import Principal as LivePrincipal
from agents.live_gateway.channels import Authenticate
from streams.sqlite_journal import Durability

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def create_app(
    data_dir: Path,
    *,
    settings: GatewaySettings | None = None,
    engine: GatewayEngine | None = None,
    durability: Durability = "normal",
    live: bool = False,
) -> FastAPI:
    """The gateway over ``data_dir``. ``engine`` lets a caller that already runs the
    data dir's runtime (``tapeline run --serve``) share it; otherwise one is opened here
    and closed when the app shuts down. ``live`` adds the live gateway: the WebSocket
    ``/ws`` fed through NATS ($TAPELINE_NATS), commits published there, and ``risk.check``
    answered over NATS request/reply."""
    settings = settings or GatewaySettings()
    owned = engine is None
    engine = engine or GatewayEngine.open(data_dir, durability)
    keys = KeyStore.in_dir(data_dir)
    issuer = TokenIssuer(load_jwt_secret(data_dir), settings.token_ttl_seconds)
    worker = EngineWorker(engine)
    gateway = Gateway(
        engine=engine,
        keys=keys,
        issuer=issuer,
        settings=settings,
        limiter=RateLimiter(settings.rate_limit),
        login_limiter=RateLimiter(settings.login_limit),
        metrics=Metrics(),
        worker=worker,
        tokens=VerifiedTokens(issuer),
        key_accounts=KeyAccounts(keys),
    )

    streaming = LiveGateway(
        _live_authenticate(gateway), known_instrument=engine.config.registry.__contains__
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if live:
            await streaming.start()
            with engine.lock:  # from now on every commit is published
                engine.runtime.flush()
                engine.runtime = streaming.publishing_runtime(engine.journal, engine.config)
            await streaming.serve_risk_checks(locked_judge(engine.with_book, engine.config.limits))
        # What startup built (modules, routes, schemas, the tables) lives as long as the
        # process: out of the collector's reach, a full collection no longer walks it
        # (a pause of tens of ms in the middle of requests otherwise).
        gc.collect()
        gc.freeze()
        yield
        if live:
            await streaming.stop()
        worker.close()
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
    if live:
        app.include_router(streaming.router)
    _add_service_routes(app)
    mount_dashboard(app)
    hot = [*orders.router.routes, *risk.router.routes]
    app.add_middleware(FastPath, gateway=gateway, routes=hot)  # inside the body limit
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


def _live_authenticate(gateway: Gateway) -> Authenticate:
    """A WebSocket's bearer token (a JWT, or an API key) as the live gateway's principal."""

    def authenticate(token: str) -> LivePrincipal | None:
        try:
            principal = gateway.tokens.verify(token)
        except TokenError:
            found = gateway.keys.authenticate(token)
            if found is None:
                return None
            principal = found
        return LivePrincipal(principal.name, principal.role.value, principal.accounts)

    return authenticate

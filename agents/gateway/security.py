"""Authentication and authorization as FastAPI dependencies.

Order of checks: credentials (401), then the key's rate limit (429), then the role (403),
then the body (422): a caller without credentials learns nothing about the API's rules.
Error bodies name the problem, never the credential.

The dependencies are async and run on the event loop (no thread hop per request): a
bearer token is an HMAC check (or a hit in ``VerifiedTokens``), a known API key a hit in
the key store's cache; only an API key's argon2 verification goes to a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from agents.auth import Permission, Principal, RateLimiter, TokenError
from agents.gateway.state import Gateway, gateway_of

BEARER = {"WWW-Authenticate": "Bearer"}


def unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers=BEARER)


def too_many(wait: float) -> HTTPException:
    return HTTPException(
        status_code=429,
        detail="rate limit exceeded; retry later",
        headers={"Retry-After": RateLimiter.retry_after(wait)},
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def verify_api_key(gateway: Gateway, request: Request, presented: str) -> Principal | None:
    """A key's principal; verifications that miss the cache are rate limited per client
    address, so guessing keys (or burning CPU on argon2) is slow. Blocking: call it from
    a thread (``api_key_principal``)."""
    principal = gateway.keys.cached(presented)
    if principal is not None:
        return principal
    wait = gateway.login_limiter.take(client_address(request))
    if wait:
        raise too_many(wait)
    return gateway.keys.authenticate(presented)


async def api_key_principal(gateway: Gateway, request: Request, presented: str) -> Principal:
    """``verify_api_key`` without blocking the loop: a cached key is answered here, a key
    that needs argon2 is verified on a worker thread."""
    found = gateway.keys.cached(presented)
    if found is None:
        found = await run_in_threadpool(verify_api_key, gateway, request, presented)
    if found is None:
        raise unauthorized("invalid API key")
    return found


async def authenticate(request: Request) -> Principal:
    gateway = gateway_of(request)
    header = request.headers.get("authorization")
    api_key = request.headers.get("x-api-key")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("use Authorization: Bearer <token>")
        try:
            principal = gateway.tokens.verify(token.strip())
        except TokenError as error:
            raise unauthorized(str(error)) from None
    elif api_key is not None:
        principal = await api_key_principal(gateway, request, api_key)
    else:
        raise unauthorized(
            "missing credentials: send Authorization: Bearer <token> or X-API-Key: <key>"
        )
    wait = gateway.limiter.take(principal.key_id)
    if wait:
        raise too_many(wait)
    return principal


def requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Principal = Depends(authenticate)) -> Principal:  # noqa: B008
        if not principal.may(permission):
            raise HTTPException(
                status_code=403,
                detail=f"role {principal.role.value} may not {permission.value.replace('_', ' ')}",
            )
        return principal

    return check


def require_account(principal: Principal, account: str) -> None:
    if not principal.covers(account):
        raise HTTPException(
            status_code=403, detail=f"account {account!r} is not in this key's scope"
        )


def scoped(principal: Principal, accounts: Iterable[str]) -> set[str]:
    return {account for account in accounts if principal.covers(account)}


def default_account(principal: Principal, account: str | None) -> str:
    """The request's account, or the key's only account when the request names none."""
    if account is not None:
        require_account(principal, account)
        return account
    if not principal.all_accounts and len(principal.accounts) == 1:
        return next(iter(principal.accounts))
    raise HTTPException(
        status_code=422, detail="field account: required for a key with several accounts"
    )

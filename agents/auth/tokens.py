"""JWT bearer tokens (HS256): short-lived, carrying principal, role, accounts and expiry.

The signing secret comes from ``$TAPELINE_JWT_SECRET`` or from ``DATA_DIR/jwt.secret``,
created 0600 on first use; never from the command line, where ``ps`` would show it.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from pathlib import Path
from typing import Any, Final

import jwt

from agents.auth.roles import ALL_ACCOUNTS, Principal, Role
from schemas import TapelineError

SECRET_ENV: Final = "TAPELINE_JWT_SECRET"  # noqa: S105 (a variable name)
SECRET_FILE: Final = "jwt.secret"  # noqa: S105 (a file name)
MIN_SECRET_BYTES: Final = 32
DEFAULT_TTL_SECONDS: Final = 900
ALGORITHM: Final = "HS256"
ISSUER: Final = "tapeline"


class TokenError(Exception):
    """A token that is missing, expired, forged or tampered with. The message is safe to
    show the caller: it never holds the token or the secret."""


def load_jwt_secret(data_dir: Path) -> bytes:
    """The signing secret: ``$TAPELINE_JWT_SECRET``, else ``DATA_DIR/jwt.secret``."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env is not None:
        if len(from_env.encode()) < MIN_SECRET_BYTES:
            raise TapelineError(f"${SECRET_ENV} must hold at least {MIN_SECRET_BYTES} bytes")
        return from_env.encode()
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return _read_secret_file(path)
    except OSError as error:
        raise TapelineError(f"cannot create {path}: {error}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return _read_secret_file(path)


def _read_secret_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TapelineError(f"{path} is readable by others; run `chmod 600 {path}`")
        secret = path.read_bytes().strip()
    except OSError as error:
        raise TapelineError(f"cannot read {path}: {error}") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise TapelineError(f"{path} must hold at least {MIN_SECRET_BYTES} bytes")
    return secret


class TokenIssuer:
    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, principal: Principal, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.name,
            "role": principal.role.value,
            "accounts": sorted(principal.accounts),
            "kid": principal.key_id,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; TokenError for anything else."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired; ask /auth/token for a new one") from None
        except jwt.InvalidTokenError:
            raise TokenError("the token is not valid") from None
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    role, accounts, key_id = claims.get("role"), claims.get("accounts"), claims.get("kid")
    if (
        not isinstance(claims["sub"], str)
        or not isinstance(role, str)
        or role not in Role.__members__
        or not isinstance(key_id, str)
        or not isinstance(accounts, list)
        or not accounts
        or not all(isinstance(account, str) for account in accounts)
    ):
        raise TokenError("the token is not valid")
    scope = frozenset(accounts)
    if Role(role) is Role.admin:
        scope = frozenset({ALL_ACCOUNTS})
    return Principal(claims["sub"], Role(role), scope, key_id)

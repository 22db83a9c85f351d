"""Authentication and authorization for the gateway: API keys (argon2-hashed, in
``DATA_DIR/auth.sqlite``), HS256 JWT bearer tokens, roles and per-key rate limits."""

from agents.auth.keys import AUTH_FILE, AuthStoreError, IssuedKey, KeyInfo, KeyStore
from agents.auth.ratelimit import RateLimit, RateLimiter
from agents.auth.roles import ALL_ACCOUNTS, PERMISSIONS, Permission, Principal, Role
from agents.auth.tokens import TokenError, TokenIssuer, load_jwt_secret

__all__ = [
    "ALL_ACCOUNTS",
    "AUTH_FILE",
    "PERMISSIONS",
    "AuthStoreError",
    "IssuedKey",
    "KeyInfo",
    "KeyStore",
    "Permission",
    "Principal",
    "RateLimit",
    "RateLimiter",
    "Role",
    "TokenError",
    "TokenIssuer",
    "load_jwt_secret",
]

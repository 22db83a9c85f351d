"""API keys: created once, shown once, stored as argon2 hashes in ``DATA_DIR/auth.sqlite``.

Why a file of its own and not the journal: the journal is append-only and replayed by
every agent; a credential (even hashed) written there could never be revoked or purged,
and would travel wherever the log is copied for audit. ``auth.sqlite`` is created 0600.

A key reads ``tpl_<key id>.<secret>``: the id finds the row, argon2 verifies the secret.
argon2 is deliberately slow (tens of ms), so a verified key is remembered for a short
while by a fast digest of the whole key (the secret has 256 bits of entropy, so a fast
hash is safe for the cache; only the argon2 hash is ever stored).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from agents.auth.roles import Principal, Role, parse_accounts
from schemas import TapelineError

AUTH_FILE: Final = "auth.sqlite"
KEY_PREFIX: Final = "tpl_"
CACHE_SECONDS: Final = 60.0
CACHE_ENTRIES: Final = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    accounts TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    revoked_ns INTEGER
);
"""


class AuthStoreError(TapelineError):
    """The key store cannot be opened or a key cannot be created."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as created: ``key`` is the only copy of the secret there will ever be."""

    key: str
    principal: Principal


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    principal: str
    role: Role
    accounts: frozenset[str]
    created_ns: int
    revoked: bool


def _split(presented: str) -> tuple[str, str] | None:
    if not presented.startswith(KEY_PREFIX) or len(presented) > 256:
        return None
    key_id, dot, secret = presented[len(KEY_PREFIX) :].partition(".")
    if not dot or not key_id or not secret:
        return None
    return key_id, secret


def _accounts_text(accounts: Iterable[str]) -> str:
    return ",".join(sorted(accounts))


class KeyStore:
    """The ``api_keys`` table. Safe to share between threads (one connection, a lock)."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        self._hasher = hasher or PasswordHasher()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise AuthStoreError(f"cannot open the key store {path}: {error}") from None
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        # Verifying against this when the key id is unknown makes a wrong id cost the
        # same time as a wrong secret: no timing oracle for which ids exist.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def in_dir(cls, data_dir: Path, hasher: PasswordHasher | None = None) -> KeyStore:
        return cls(data_dir / AUTH_FILE, hasher)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(self, principal: str, role: Role, accounts: Iterable[str]) -> IssuedKey:
        name = principal.strip()
        if not name or len(name) > 128:
            raise AuthStoreError("the principal name must have 1 to 128 characters")
        try:
            scope = parse_accounts(role, accounts)
        except ValueError as error:
            raise AuthStoreError(str(error)) from None
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        digest = self._hasher.hash(secret)
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (key_id, digest, name, role.value, _accounts_text(scope), time.time_ns()),
            )
        return IssuedKey(f"{KEY_PREFIX}{key_id}.{secret}", Principal(name, role, scope, key_id))

    def cached(self, presented: str) -> Principal | None:
        """The principal of a key verified in the last ``CACHE_SECONDS``, without argon2."""
        entry = self._cache.get(hashlib.sha256(presented.encode()).digest())
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
        return None

    def authenticate(self, presented: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for anything else."""
        parts = _split(presented)
        if parts is None:
            return None
        principal = self.cached(presented)
        if principal is not None:
            return principal
        key_id, secret = parts
        with self._lock:
            row = self._db.execute(
                "SELECT secret_hash, principal, role, accounts FROM api_keys "
                "WHERE key_id = ? AND revoked_ns IS NULL",
                (key_id,),
            ).fetchone()
        try:
            self._hasher.verify(row[0] if row else self._decoy, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        principal = Principal(row[1], Role(row[2]), frozenset(row[3].split(",")), key_id)
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        cache_key = hashlib.sha256(presented.encode()).digest()
        self._cache[cache_key] = (principal, time.monotonic() + CACHE_SECONDS)
        return principal

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            changed = self._db.execute(
                "UPDATE api_keys SET revoked_ns = ? WHERE key_id = ? AND revoked_ns IS NULL",
                (time.time_ns(), key_id),
            ).rowcount
        self._cache.clear()
        return bool(changed)

    def accounts(self) -> set[str]:
        """Every account some key names (``*`` excluded): accounts the desk has."""
        with self._lock:
            rows = self._db.execute("SELECT accounts FROM api_keys WHERE revoked_ns IS NULL")
            names = {name for (text,) in rows for name in text.split(",")}
        names.discard("*")
        return names

    def list_keys(self) -> list[KeyInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, principal, role, accounts, created_ns, revoked_ns "
                "FROM api_keys ORDER BY created_ns"
            ).fetchall()
        return [
            KeyInfo(
                row[0], row[1], Role(row[2]), frozenset(row[3].split(",")), row[4], bool(row[5])
            )
            for row in rows
        ]

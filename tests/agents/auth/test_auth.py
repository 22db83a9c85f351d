"""API keys, tokens, roles and rate limits, without a server."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agents.auth import (
    AUTH_FILE,
    AuthStoreError,
    KeyStore,
    Principal,
    RateLimit,
    RateLimiter,
    Role,
    TokenError,
    TokenIssuer,
    load_jwt_secret,
)
from agents.auth.roles import parse_accounts
from agents.auth.tokens import SECRET_ENV, SECRET_FILE
from agents.cli import auth_cmd
from schemas import TapelineError


@pytest.fixture
def no_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)


def test_a_key_is_stored_hashed_and_authenticates(tmp_path: Path) -> None:
    store = KeyStore.in_dir(tmp_path)
    issued = store.create("alice", Role.trader, ["ACC-1", "ACC-2"])
    secret = issued.key.partition(".")[2]
    assert len(secret) >= 40
    principal = store.authenticate(issued.key)
    assert principal == Principal(
        "alice", Role.trader, frozenset({"ACC-1", "ACC-2"}), principal.key_id
    )
    assert store.authenticate(issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")) is None
    assert store.authenticate("tpl_unknown.secret") is None
    assert store.authenticate("not a key") is None
    store.close()
    raw = (tmp_path / AUTH_FILE).read_bytes()
    assert secret.encode() not in raw
    assert b"$argon2id$" in raw
    assert stat.S_IMODE(os.stat(tmp_path / AUTH_FILE).st_mode) == 0o600


def test_a_revoked_key_stops_working(tmp_path: Path) -> None:
    store = KeyStore.in_dir(tmp_path)
    issued = store.create("bob", Role.risk, ["*"])
    assert store.authenticate(issued.key) is not None  # now cached
    assert store.revoke(issued.principal.key_id)
    assert store.authenticate(issued.key) is None
    assert not store.revoke(issued.principal.key_id)
    assert [info.revoked for info in store.list_keys()] == [True]
    store.close()


def test_account_scopes() -> None:
    assert parse_accounts(Role.admin, []) == frozenset({"*"})
    assert parse_accounts(Role.risk, ["*"]) == frozenset({"*"})
    assert parse_accounts(Role.trader, [" A ", "B", ""]) == frozenset({"A", "B"})
    with pytest.raises(ValueError, match="trader key names its accounts"):
        parse_accounts(Role.trader, ["*"])
    with pytest.raises(ValueError, match="at least one account"):
        parse_accounts(Role.auditor, [""])
    with pytest.raises(ValueError, match="not an account name"):
        parse_accounts(Role.trader, ["a b"])


def test_tokens_round_trip_and_refuse_expired_forged_tampered() -> None:
    principal = Principal("carol", Role.auditor, frozenset({"ACC-1"}), "kid1")
    issuer = TokenIssuer(b"s" * 40, ttl_seconds=60)
    assert issuer.verify(issuer.issue(principal)) == principal
    with pytest.raises(TokenError, match="expired"):
        issuer.verify(issuer.issue(principal, now=1_000_000))
    with pytest.raises(TokenError, match="not valid"):
        issuer.verify(TokenIssuer(b"t" * 40).issue(principal))
    header, payload, signature = issuer.issue(principal).split(".")
    with pytest.raises(TokenError, match="not valid"):
        issuer.verify(f"{header}.{payload[:-2]}xy.{signature}")


def test_jwt_secret_file_is_created_0600_once(tmp_path: Path, no_env_secret: None) -> None:
    first = load_jwt_secret(tmp_path)
    assert load_jwt_secret(tmp_path) == first
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode) == 0o600
    os.chmod(tmp_path / SECRET_FILE, 0o644)
    with pytest.raises(TapelineError, match="chmod 600"):
        load_jwt_secret(tmp_path)


def test_jwt_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "e" * 40)
    assert load_jwt_secret(tmp_path) == b"e" * 40
    assert not (tmp_path / SECRET_FILE).exists()
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(TapelineError, match="at least 32 bytes"):
        load_jwt_secret(tmp_path)


def test_token_bucket_refills_at_its_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(RateLimit(rate=2, burst=3), clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k")
    assert wait == pytest.approx(0.5)
    assert RateLimiter.retry_after(wait) == "1"
    assert limiter.take("other") == 0.0  # buckets are per key
    now[0] += 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("k") > 0
    with pytest.raises(ValueError, match="rate > 0"):
        RateLimit(rate=0, burst=1)


def _cli() -> typer.Typer:
    return auth_cmd.app


def test_create_key_prints_the_key_last_and_once(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path), "--principal", "dave", "--role", "trader"]
    created = runner.invoke(_cli(), ["create-key", *args, "--accounts", "ACC-1,ACC-2"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("tpl_")
    store = KeyStore.in_dir(tmp_path)
    found = store.authenticate(key)
    assert found is not None
    assert found.accounts == frozenset({"ACC-1", "ACC-2"})
    store.close()
    listed = runner.invoke(_cli(), ["list-keys", "--data-dir", str(tmp_path)])
    assert found.key_id in listed.stdout
    assert key.partition(".")[2] not in listed.stdout
    refused = runner.invoke(_cli(), ["create-key", *args, "--accounts", "*"])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, TapelineError)


def test_store_refuses_an_empty_principal(tmp_path: Path) -> None:
    store = KeyStore.in_dir(tmp_path)
    with pytest.raises(AuthStoreError, match="principal name"):
        store.create(" ", Role.admin, [])
    store.close()

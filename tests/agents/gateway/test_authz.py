"""The authorization matrix over real HTTP: every role x every endpoint x own/other
account, and credentials that must not work."""

from __future__ import annotations

import base64
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from agents.auth import Principal, RateLimit, RateLimiter, Role, TokenIssuer, load_jwt_secret
from tests.agents.gateway.server import BTC, Server

OWN, OTHER = "ACC-1", "ACC-2"
ROLES = ("trader", "risk", "auditor", "admin")
_counter = itertools.count()


def _order(account: str) -> dict[str, Any]:
    return {
        "account": account,
        "cl_ord_id": f"M-{next(_counter)}",
        "instrument": BTC,
        "side": "buy",
        "order_type": "limit",
        "qty": "0.1",
        "limit_price": "9000",
    }


def _check(account: str) -> dict[str, Any]:
    return {k: v for k, v in _order(account).items() if k != "cl_ord_id"}


Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]
ENDPOINTS: dict[str, Callable[[str], Request]] = {
    "list_orders": lambda a: ("GET", "/orders", None, {"account": a}),
    "get_order": lambda a: ("GET", "/orders/SEED-1", None, {"account": a}),
    "positions": lambda a: ("GET", "/positions", None, {"account": a}),
    "pnl": lambda a: ("GET", "/pnl", None, {"account": a}),
    "exeq": lambda a: ("GET", "/exeq", None, {"account": a}),
    "alerts": lambda a: ("GET", "/alerts", None, {"account": a}),
    "tickers": lambda a: ("GET", "/tickers", None, {}),
    "place": lambda a: ("POST", "/orders", _order(a), {}),
    "cancel": lambda a: (
        "POST", "/orders/SEED-1/cancel", {"account": a, "cl_ord_id": f"X-{next(_counter)}"}, {}
    ),
    "replace": lambda a: (
        "POST",
        "/orders/SEED-1/replace",
        {"account": a, "cl_ord_id": f"R-{next(_counter)}", "qty": "0.2"},
        {},
    ),
    "risk_check": lambda a: ("POST", "/risk/check", _check(a), {}),
    "kill_switch": lambda a: ("POST", "/kill-switch", {"account": a, "reason": "test"}, {}),
    "audit": lambda a: ("GET", "/audit/order/SEED-1", None, {"account": a}),
    "metrics": lambda a: ("GET", "/metrics", None, {}),
}  # fmt: skip

READERS = {"trader", "risk", "auditor", "admin"}
ALLOWED: dict[str, set[str]] = {
    "list_orders": READERS,
    "get_order": READERS,
    "positions": READERS,
    "pnl": READERS,
    "exeq": READERS,
    "alerts": {"risk", "auditor", "admin"},
    "tickers": READERS,
    "place": {"trader", "admin"},
    "cancel": {"trader", "admin"},
    "replace": {"trader", "admin"},
    "risk_check": {"risk", "admin"},
    "kill_switch": {"risk", "admin"},
    "audit": {"risk", "auditor", "admin"},
    "metrics": {"admin"},
}
ACCOUNTLESS = {"tickers", "metrics"}


def expected(role: str, endpoint: str, account: str) -> str:
    if role not in ALLOWED[endpoint]:
        return "403"
    if endpoint not in ACCOUNTLESS and account == OTHER and role != "admin":
        return "403"
    return "2xx"


def send(client: httpx.Client, request: Request) -> httpx.Response:
    method, path, body, params = request
    return client.request(method, path, json=body, params=params)


@pytest.fixture(scope="module", autouse=True)
def seeded(server: Server) -> None:
    """SEED-1 in both accounts, so reads and audits of either have something to find."""
    with server.client("admin") as admin:
        for account in (OWN, OTHER):
            body = {**_order(account), "cl_ord_id": "SEED-1"}
            assert admin.post("/orders", json=body).status_code == 201


CASES = [
    (role, endpoint, account)
    for endpoint in ENDPOINTS
    for role in ROLES
    for account in (OWN, OTHER)
]


@pytest.mark.parametrize(("role", "endpoint", "account"), CASES)
def test_authorization_matrix(server: Server, role: str, endpoint: str, account: str) -> None:
    with server.client(role) as client:
        answer = send(client, ENDPOINTS[endpoint](account))
    want = expected(role, endpoint, account)
    if want == "2xx":
        assert 200 <= answer.status_code < 300, answer.text
    else:
        assert answer.status_code == 403, answer.text
        assert "error" in answer.json()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_no_credentials_is_401(server: Server, endpoint: str) -> None:
    with server.client() as anonymous:
        answer = send(anonymous, ENDPOINTS[endpoint](OWN))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "missing credentials" in answer.json()["error"]


def test_reads_show_only_the_callers_accounts(server: Server) -> None:
    with server.client("trader") as trader:
        rows = trader.get("/orders").json()
    assert rows
    assert {row["account"] for row in rows} == {OWN}
    with server.client("admin") as admin:
        assert {OWN, OTHER} <= {row["account"] for row in admin.get("/orders").json()}


def test_api_key_works_directly_and_for_a_token(server: Server) -> None:
    with server.client("trader", api_key=True) as by_key:
        assert by_key.get("/tickers").status_code == 200
    with server.client() as anonymous:
        bad = anonymous.post("/auth/token", json={"api_key": server.keys["trader"] + "x"})
        assert bad.status_code == 401
        assert anonymous.get("/tickers", headers={"X-API-Key": "tpl_nope.nope"}).status_code == 401


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_expired_forged_and_tampered_tokens_are_401(server: Server) -> None:
    secret = load_jwt_secret(server.data_dir)
    principal = Principal("trader", Role.trader, frozenset({OWN}), "k")
    now = time.time()
    expired = TokenIssuer(secret, ttl_seconds=60).issue(principal, now=now - 3600)
    forged = TokenIssuer(b"x" * 48).issue(principal)
    unsigned = jwt.encode(
        {"sub": "x", "role": "admin", "accounts": ["*"], "kid": "k", "iss": "tapeline",
         "iat": int(now), "exp": int(now) + 60},
        key=None,
        algorithm="none",
    )  # fmt: skip
    cases = {
        "expired": (expired, "expired"),
        "forged": (forged, "not valid"),
        "tampered": (_tampered(server.tokens["trader"]), "not valid"),
        "alg none": (unsigned, "not valid"),
        "garbage": ("not-a-token", "not valid"),
        "an API key as a bearer token": (server.keys["admin"], "not valid"),
    }
    with server.client() as anonymous:
        for name, (token, message) in cases.items():
            answer = anonymous.get("/orders", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, name
            assert message in answer.json()["error"], name
            assert token not in answer.text, name
        basic = anonymous.get("/orders", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert basic.status_code == 401


def test_keys_never_reach_responses_or_logs(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    key = server.keys["risk"]
    with server.client() as anonymous:
        token = anonymous.post("/auth/token", json={"api_key": key})
        assert token.status_code == 200
        assert key not in token.text
        wrong = anonymous.post("/auth/token", json={"api_key": key[:-2]})
        assert key[:-2] not in wrong.text
    with server.client("risk", api_key=True) as by_key:
        assert by_key.get("/alerts").status_code == 200
    assert "POST /auth/token" in caplog.text  # the access log was captured
    secret = key.partition(".")[2]
    assert secret not in caplog.text
    assert key not in caplog.text


def test_rate_limit_is_429_with_retry_after(server: Server) -> None:
    gateway = server.app.state.gateway
    generous = gateway.limiter
    gateway.limiter = RateLimiter(RateLimit(rate=0.01, burst=2))
    try:
        with server.client("auditor") as client:
            statuses = [client.get("/tickers").status_code for _ in range(3)]
            limited = client.get("/tickers")
    finally:
        gateway.limiter = generous
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate limit exceeded; retry later"


def test_kill_switch_star_fans_out_over_the_callers_scope(server: Server) -> None:
    # ACC-3 is untouched by the matrix above (which halted ACC-1 and ACC-2 one by one).
    with server.client("admin") as admin:
        live = admin.post("/orders", json={**_order("ACC-3"), "cl_ord_id": "KS-LIVE"})
        assert live.status_code == 201, live.text
        with server.client("risk") as risk:
            answer = risk.post("/kill-switch", json={"account": "*", "reason": "drill"})
        assert answer.status_code == 200, answer.text
        results = {row["account"]: row for row in answer.json()["accounts"]}
        assert set(results) == {"ACC-1", "ACC-3"}  # the risk key's scope: not ACC-2
        assert results["ACC-3"]["trading_state"] == "HALTED"
        assert results["ACC-3"]["canceled"] == ["KS-LIVE"]
        assert admin.get("/orders/KS-LIVE").json()["status"] == "Canceled"
        refused = admin.post("/orders", json=_order("ACC-3"))
        assert refused.status_code == 200
        assert refused.json()["status"] == "rejected"
        assert refused.json()["rule"] == "trading_state"

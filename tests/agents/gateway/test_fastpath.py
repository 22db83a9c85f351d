"""The hot routes' fast path, the engine's thread and the caches that keep requests off
argon2 and SQLite: each must give the answer the plain route would."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from agents.auth import Principal, RateLimit, RateLimiter, Role, TokenError, TokenIssuer
from agents.gateway import orders, risk
from agents.gateway.engine import GatewayEngine, stamped
from agents.gateway.fastpath import FastPath
from agents.gateway.metrics import Message, Receive, Scope, Send
from agents.gateway.state import Gateway, VerifiedTokens
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS
from tests import factories
from tests.agents.gateway.server import BTC, Server, order, seed_quotes, start

CHECK = {"account": "ACC-1", "instrument": BTC, "side": "buy", "order_type": "limit",
         "qty": "0.5", "limit_price": "9000", "cl_ord_id": "FP-CHECK"}  # fmt: skip


class Route:
    """Stands for the FastAPI app behind the fast path: records what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _drive(app: FastPath, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/risk/check",
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])


def _fast(server: Server, route: Route) -> FastPath:
    return FastPath(route, server.app.state.gateway, [*orders.router.routes, *risk.router.routes])


def _bearer(server: Server, who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {server.tokens[who]}", "content-type": "application/json"}


def test_a_good_request_is_answered_without_the_route(server: Server) -> None:
    route = Route()
    status, body = _drive(_fast(server, route), _bearer(server, "risk"), json.dumps(CHECK).encode())
    assert route.bodies == []
    assert status == 200
    assert json.loads(body)["approved"] is True
    assert json.loads(body)["cl_ord_id"] == "FP-CHECK"


def _unusual(server: Server) -> dict[str, tuple[dict[str, str], dict[str, Any] | bytes]]:
    json_only = {"content-type": "application/json"}
    return {
        "no credentials": (json_only, CHECK),
        "not bearer": ({**json_only, "authorization": f"Basic {server.tokens['risk']}"}, CHECK),
        "forged token": ({**json_only, "authorization": "Bearer x.y.z"}, CHECK),
        "uncached api key": ({**json_only, "x-api-key": "tl_nope.nope"}, CHECK),
        "role without risk_check": (_bearer(server, "auditor"), CHECK),
        "account out of scope": (_bearer(server, "risk"), {**CHECK, "account": "ACC-2"}),
        "unknown account": (_bearer(server, "admin"), {**CHECK, "account": "ACC-404"}),
        "unknown instrument": (_bearer(server, "risk"), {**CHECK, "instrument": "x:NOPE"}),
        "market with a price": (_bearer(server, "risk"), {**CHECK, "order_type": "market"}),
        "unknown field": (_bearer(server, "risk"), {**CHECK, "colour": "blue"}),
        "number for a decimal": (_bearer(server, "risk"), {**CHECK, "qty": 0.5}),
        "malformed JSON": (_bearer(server, "risk"), b'{"account": '),
        "another content type": ({**_bearer(server, "risk"), "content-type": "text/plain"}, CHECK),
    }


CASES = [
    "no credentials",
    "not bearer",
    "forged token",
    "uncached api key",
    "role without risk_check",
    "account out of scope",
    "unknown account",
    "unknown instrument",
    "market with a price",
    "unknown field",
    "number for a decimal",
    "malformed JSON",
    "another content type",
]


@pytest.mark.parametrize("case", CASES)
def test_anything_unusual_goes_to_the_route_with_its_body(server: Server, case: str) -> None:
    headers, body = _unusual(server)[case]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    route = Route()
    status, _ = _drive(_fast(server, route), headers, raw)
    assert route.bodies == [raw]
    assert status == 299


def test_over_the_rate_limit_goes_to_the_route_and_writes_nothing(server: Server) -> None:
    gateway: Gateway = server.app.state.gateway
    generous = gateway.limiter
    gateway.limiter = RateLimiter(RateLimit(rate=0.01, burst=1))
    try:
        with server.client("trader") as trader:
            body = {**CHECK, "cl_ord_id": "FP-LIMITED-1"}
            assert trader.post("/orders", json=body).status_code == 201
            end = trader.get("/health").json()["journal_end_seq"]
            refused = trader.post("/orders", json={**body, "cl_ord_id": "FP-LIMITED-2"})
            assert refused.status_code == 429
            assert refused.json()["error"] == "rate limit exceeded; retry later"
            assert trader.get("/health").json()["journal_end_seq"] == end
    finally:
        gateway.limiter = generous


def test_fast_path_and_route_give_the_same_answer(server: Server) -> None:
    """A charset parameter sends the same request through FastAPI's own route."""
    raw = json.dumps({**CHECK, "qty": "0.25"}).encode()
    with server.client("risk") as client:
        fast = client.post("/risk/check", content=raw, headers={"content-type": "application/json"})
        routed = client.post(
            "/risk/check", content=raw, headers={"content-type": "application/json; charset=utf-8"}
        )
    assert fast.status_code == routed.status_code == 200
    assert fast.json() == routed.json()
    assert fast.headers["content-type"] == routed.headers["content-type"]


def test_concurrent_orders_with_one_clordid_are_accepted_once(server: Server) -> None:
    """Orders that arrive together are group-committed in arrival order: the OMS sees the
    duplicates after the first, however they were batched."""

    async def burst() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {server.tokens['trader']}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            body = {**CHECK, "cl_ord_id": "FP-SAME"}
            return list(
                await asyncio.gather(*(client.post("/orders", json=body) for _ in range(12)))
            )

    answers = asyncio.run(burst())
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 11
    event_ids = {answer.json()["event_id"] for answer in answers}
    assert len(event_ids) == 12  # twelve commands, each with its own decision


def test_a_read_on_the_loop_needs_the_engine_caught_up(tmp_path: Path) -> None:
    seed_quotes(tmp_path)
    engine = GatewayEngine.open(tmp_path)
    try:
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (True, True)
        other = SqliteJournal.in_dir(tmp_path)  # another process appends
        quote = factories.quote()
        with other.transaction():
            other.append_in_transaction([new_record(MD_TICKS, quote)])
        other.close_now()
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (False, None)
        assert engine.with_book("ACC-1", lambda book, view: True) is True  # catches up
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (True, True)
    finally:
        engine.close()


def test_an_order_leaves_the_engine_caught_up_for_reads_on_the_loop(tmp_path: Path) -> None:
    """After a batch the engine knows it is caught up, so a risk check that follows an
    order reads the book on the loop; a later append elsewhere still sends it to the
    thread. The decision itself is read back whole."""
    seed_quotes(tmp_path)
    engine = GatewayEngine.open(tmp_path)
    try:
        (outcome,) = engine.execute([stamped(factories.submit(cl_ord_id="SYNC-1"))])
        assert [kind for kind, _ in outcome.decisions] == ["order_accepted"]
        assert outcome.decisions[0][1]["cl_ord_id"] == "SYNC-1"
        assert outcome.risk is not None
        assert outcome.risk["approved"] is True
        assert not outcome.dead_lettered
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (True, True)

        other = SqliteJournal.in_dir(tmp_path)  # another process appends
        with other.transaction():
            other.append_in_transaction([new_record(MD_TICKS, factories.quote())])
        other.close_now()
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (False, None)

        (again,) = engine.execute([stamped(factories.submit(cl_ord_id="SYNC-1"))])
        assert [kind for kind, _ in again.decisions] == ["order_rejected"]  # replayed ClOrdID
        assert engine.with_book_now("ACC-1", lambda book, view: True) == (True, True)
    finally:
        engine.close()


class CountingIssuer(TokenIssuer):
    def __init__(self) -> None:
        super().__init__(b"k" * 32, ttl_seconds=600)
        self.verified = 0

    def verify(self, token: str) -> Principal:
        self.verified += 1
        return super().verify(token)


def test_a_cached_token_is_rechecked_once_its_expiry_passes() -> None:
    issuer = CountingIssuer()
    token = issuer.issue(Principal("dana", Role.trader, frozenset({"ACC-1"}), "k1"))
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    now = [float(expires - 10)]
    tokens = VerifiedTokens(issuer, clock=lambda: now[0])
    assert tokens.verify(token).name == "dana"
    assert tokens.verify(token).name == "dana"
    assert issuer.verified == 1  # the second came from the cache
    now[0] = float(expires)
    assert tokens.verify(token).name == "dana"  # the issuer's own clock still says valid
    assert issuer.verified == 2  # but the cache did not answer past the expiry


def test_a_refused_token_is_never_cached() -> None:
    issuer = CountingIssuer()
    tokens = VerifiedTokens(issuer)
    for _ in range(2):
        with pytest.raises(TokenError):
            tokens.verify("not.a.token")
    assert issuer.verified == 2


def test_an_account_the_engine_confirmed_is_not_asked_again(tmp_path: Path) -> None:
    """An account only the limits file names: the first order asks the engine's thread,
    the next ones do not (engine accounts stay accounts); an unknown one is asked each
    time and stays a 422."""
    (tmp_path / "limits.toml").write_text('[accounts.ACC-LIMITS]\ncredit_limit = "1000000"\n')
    server = start(tmp_path)
    try:
        gateway = server.app.state.gateway
        asked: list[int] = []
        accounts = gateway.engine.accounts

        def counted() -> set[str]:
            asked.append(1)
            return accounts()

        gateway.engine.accounts = counted
        with server.client("admin") as admin:
            for i in range(3):
                body = order(f"EA-{i}", account="ACC-LIMITS", qty="0.01")
                assert admin.post("/orders", json=body).status_code == 201
            assert len(asked) == 1
            for i in range(2):
                unknown = {**body, "account": "ACC-NOBODY", "cl_ord_id": f"EA-N{i}"}
                answer = admin.post("/orders", json=unknown)
                assert answer.status_code == 422
                assert "unknown account 'ACC-NOBODY'" in answer.text
            # Asked each time: by the fast path, then by the route it hands the 422 to.
            assert len(asked) == 1 + 2 * 2
    finally:
        server.stop()

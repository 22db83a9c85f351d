"""Arbitrary bodies and bytes never make the gateway answer 5xx (hypothesis over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.agents.gateway.server import BTC, Server

FIELDS = [
    "account", "cl_ord_id", "instrument", "side", "order_type", "qty", "limit_price", "tif",
    "expire_ts", "reason", "kind", "ts_event",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["ACC-1", BTC, "buy", "sell", "limit", "market", "0.5", "9000", "*", "GTC"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=9)
PATHS = ["/orders", "/orders/C-1/cancel", "/orders/C-1/replace", "/risk/check", "/kill-switch"]


@pytest.fixture(scope="module")
def admin(server: Server) -> Iterator[httpx.Client]:
    with server.client("admin") as client:
        yield client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), body=bodies)
def test_json_bodies_never_5xx(admin: httpx.Client, path: str, body: dict[str, Any]) -> None:
    answer = admin.post(path, json=body)
    assert answer.status_code < 500, (answer.status_code, answer.text)
    assert "Traceback" not in answer.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), raw=st.binary(max_size=200))
def test_raw_bytes_never_5xx(admin: httpx.Client, path: str, raw: bytes) -> None:
    answer = admin.post(path, content=raw, headers={"content-type": "application/json"})
    assert answer.status_code < 500, (answer.status_code, answer.text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cl_ord_id=st.text(min_size=1, max_size=80), account=st.text(max_size=80))
def test_path_and_query_text_never_5xx(admin: httpx.Client, cl_ord_id: str, account: str) -> None:
    segment = quote(cl_ord_id, safe="")
    for path in (f"/orders/{segment}", f"/audit/order/{segment}"):
        answer = admin.get(path, params={"account": account} if account else None)
        assert answer.status_code < 500, (path, answer.status_code, answer.text)

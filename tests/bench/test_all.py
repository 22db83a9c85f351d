"""`bench all`'s bookkeeping: a down service is a skip with a reason, a crash an error."""

from __future__ import annotations

import socket
from typing import Any

from bench import all as suite


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_unreachable_service_gives_a_reason() -> None:
    reason = suite._reachable("127.0.0.1", _closed_port())
    assert reason is not None
    assert "unreachable" in reason


def test_listening_service_is_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert suite._reachable("127.0.0.1", server.getsockname()[1]) is None


def _boom(plan: suite.Plan) -> dict[str, Any]:
    raise RuntimeError("broker said no")


def test_failures_and_skips_are_results() -> None:
    plan = suite.Plan.quick()
    assert suite._run_one(_boom, plan) == {
        "status": "error",
        "reason": "RuntimeError: broker said no",
    }
    skipped = suite._run_one(lambda p: {"skipped": "not installed"}, plan)
    assert skipped["status"] == "skipped"
    assert skipped["reason"] == "not installed"
    ok = suite._run_one(lambda p: {"x_per_s": 1.0}, plan)
    assert ok["status"] == "ok"
    assert ok["results"] == {"x_per_s": 1.0}


def test_a_bench_whose_service_is_down_is_skipped_in_the_document(
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("TAPELINE_NATS", f"nats://127.0.0.1:{_closed_port()}")
    document = suite.run_all(suite.Plan.quick(), only={"fanout"})
    entry = document["benchmarks"]["fanout"]
    assert entry["status"] == "skipped"
    assert entry["reason"].startswith("NATS down: 127.0.0.1:")
    assert document["mode"] == "quick"
    assert document["machine"]["cpus"]

"""Fixtures for the feature-store tests: a real Valkey (`deploy/up valkey`), the real
Feast SDK over the checkout's feature repository with a per-test data dir, and a
journal that carries ``feature_vector`` records on the ``features`` topic."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agents.feature_store import FeastSettings, FeaturePusher
from streams.records import NewRecord
from streams.sqlite_journal import SqliteJournal
from tests.conftest import REPO

DEFAULT_VALKEY = "127.0.0.1:6379"
BASE_NS = 1_704_153_600 * 10**9
"""2024-01-02T00:00:00Z: bucket times are offsets from here."""
SECOND = 10**9


def ping(address: str) -> str | None:
    """None when ``host:port`` answers PING with PONG, else what went wrong."""
    host, _, port = address.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            reply = conn.recv(64)
    except OSError as error:
        return str(error)
    return None if reply.startswith(b"+PONG") else f"unexpected reply {reply!r}"


def deploy(action: str, env: dict[str, str] | None = None) -> str:
    """``deploy/up valkey`` or ``deploy/down valkey``, as an operator would run it."""
    done = subprocess.run(
        [str(REPO / "deploy" / action), "valkey"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"deploy/{action} valkey failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def valkey() -> str:
    """The address of a running Valkey; fails (never skips) when none answers."""
    address = os.environ.get("TAPELINE_VALKEY") or DEFAULT_VALKEY
    problem = ping(address)
    if problem is not None:
        pytest.fail(
            f"these tests need a real Valkey at {address} ({problem}). Start it with "
            "`deploy/up valkey` (or point $TAPELINE_VALKEY at one)",
            pytrace=False,
        )
    return address


@pytest.fixture
def feature_journal(journal: SqliteJournal) -> SqliteJournal:
    return journal


@dataclass(frozen=True)
class Vector:
    """A feature vector as the features agent records it (the FeatureVector fields)."""

    instrument: str
    bucket_ts: int
    """Here: the vector's event time, the END of its bucket (what Feast keys on)."""
    vwap_60s: Decimal | None
    rv_60s: Decimal | None
    obi_l1: Decimal | None
    spread_bps: Decimal | None
    trade_count_60s: int

    def payload(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "kind": "feature_vector",
            "instrument": self.instrument,
            "bucket_ts": self.bucket_ts - SECOND,  # the bucket's start
            "vwap_60s": text(self.vwap_60s),
            "rv_60s": text(self.rv_60s),
            "obi_l1": text(self.obi_l1),
            "spread_bps": text(self.spread_bps),
            "trade_count_60s": self.trade_count_60s,
            "ts_event": self.bucket_ts,
        }

    def as_floats(self) -> dict[str, float | int | None]:
        """What the feature store must hold: decimals as floats, None as null."""

        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "vwap_60s": number(self.vwap_60s),
            "rv_60s": number(self.rv_60s),
            "obi_l1": number(self.obi_l1),
            "spread_bps": number(self.spread_bps),
            "trade_count_60s": self.trade_count_60s,
        }


def vector(instrument: str, second: float, step: int, *, spread: bool = True) -> Vector:
    """A vector for the bucket ``second`` s after BASE_NS; ``step`` varies every value."""
    return Vector(
        instrument=instrument,
        bucket_ts=BASE_NS + int(second * SECOND),
        vwap_60s=Decimal("42000.5") + Decimal(step) / 4,
        rv_60s=Decimal("0.0001") * (step + 1),
        obi_l1=Decimal(step % 7 - 3) / 4,
        spread_bps=Decimal("1.25") + step if spread else None,
        trade_count_60s=10 + step,
    )


def append_vectors(journal: SqliteJournal, vectors: Sequence[Vector]) -> list[int]:
    """Append to ``features`` through the journal's real append path; the seqs."""
    records = [
        NewRecord(
            topic="features",
            key=v.instrument,
            kind="feature_vector",
            schema_version=1,
            event_id=f"feature_vector:{v.instrument}:{v.bucket_ts}",
            ts_event=v.bucket_ts,
            payload=json.dumps(v.payload()).encode(),
        )
        for v in vectors
    ]
    with journal.transaction():
        return [position.seq for position in journal.append_in_transaction(records)]


@pytest.fixture
def instruments() -> Callable[[int], list[str]]:
    """Instrument names no other test (or earlier run) uses in the shared online store."""
    run = uuid.uuid4().hex[:8]
    return lambda count: [f"test{run}:SYM{i}" for i in range(count)]


@pytest.fixture
def make_pusher(tmp_path: Path, valkey: str) -> Callable[..., FeaturePusher]:
    """A FeaturePusher over the checkout's repository, data (registry, parquet) in tmp."""

    def make(journal: SqliteJournal, *, address: str = valkey, **options: Any) -> FeaturePusher:
        settings = FeastSettings(data_dir=tmp_path / "feast", valkey=address)
        return FeaturePusher(journal, settings, **options)

    return make


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def own_valkey(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A Valkey of this test alone (free port, run dir in tmp), through deploy/up|down.

    The outage test stops and restarts it; the shared server other tests use stays up.
    """
    env = {"TAPELINE_RUN_DIR": str(tmp_path / "run"), "TAPELINE_VALKEY_PORT": str(free_port())}
    address = f"127.0.0.1:{env['TAPELINE_VALKEY_PORT']}"
    deploy("up", env)
    try:
        yield address, env
    finally:
        deploy("down", env)

"""feature-push against a real Valkey and the real Feast SDK.

Online: after a push each instrument reads back its latest vector. Offline: a
point-in-time query at t returns the vector current at t, never one computed after t
nor one older than the 5 minute TTL. Valkey stopped mid-run: nothing is lost.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from agents.feature_store import (
    FEATURES,
    FeastMissingError,
    FeaturePusher,
    FeatureRecordError,
    ValkeyUnavailableError,
    require_feast,
)
from agents.feature_store.store import FeastRepo, FeastSettings, definitions
from schemas import TapelineError
from streams.records import NewRecord, new_record
from streams.sqlite_journal import SqliteJournal
from tests.agents.feature_store.conftest import (
    BASE_NS,
    SECOND,
    Vector,
    append_vectors,
    deploy,
    ping,
    vector,
)
from tests.conftest import REPO
from tests.factories import trade

FEATURE_REFS = [f"instrument_features:{name}" for name in FEATURES]


def online(pusher: FeaturePusher, instruments: Sequence[str]) -> dict[str, dict[str, Any]]:
    rows = pusher.store.get_online_features(
        features=FEATURE_REFS, entity_rows=[{"instrument": i} for i in instruments]
    ).to_dict()
    return {
        instrument: {name: rows[name][n] for name in FEATURES}
        for n, instrument in enumerate(rows["instrument"])
    }


def historical(pusher: FeaturePusher, queries: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    """Point-in-time rows for (instrument, t ns); rows Feast leaves out are absent."""
    import pandas as pd

    entity_df = pd.DataFrame(
        {
            "instrument": [instrument for instrument, _ in queries],
            "event_timestamp": pd.to_datetime([t for _, t in queries], unit="ns", utc=True),
        }
    )
    frame = pusher.store.get_historical_features(entity_df=entity_df, features=FEATURE_REFS)
    out = []
    for row in frame.to_df().to_dict("records"):
        values = {
            name: None if row[name] is None or math.isnan(row[name]) else row[name]
            for name in FEATURES
        }
        out.append({"instrument": row["instrument"], "t": row["event_timestamp"].value, **values})
    return out


def current_at(vectors: Sequence[Vector], instrument: str, t: int) -> Vector | None:
    """The vector a point-in-time query at t must see: latest bucket <= t, within TTL."""
    seen = [v for v in vectors if v.instrument == instrument and v.bucket_ts <= t]
    if not seen:
        return None
    latest = max(seen, key=lambda v: v.bucket_ts)
    return latest if t - latest.bucket_ts <= 300 * SECOND else None


def test_online_features_are_the_latest_vector_of_each_instrument(
    feature_journal: SqliteJournal,
    make_pusher: Callable[..., FeaturePusher],
    instruments: Callable[[int], list[str]],
) -> None:
    names = instruments(3)
    vectors = [vector(name, s, step=10 * s + n) for s in range(20) for n, name in enumerate(names)]
    # The latest vector of the last instrument has no spread: it must read back as null,
    # not as the spread of the vector before it.
    vectors.append(vector(names[2], 20, step=999, spread=False))
    append_vectors(feature_journal, vectors[:25])
    # Other topics in between are not feature vectors: read past, never pushed.
    with feature_journal.transaction():
        feature_journal.append_in_transaction([new_record("md.ticks", trade())])
    last_seq = append_vectors(feature_journal, vectors[25:])[-1]

    pusher = make_pusher(feature_journal, batch_size=8)
    counters = pusher.run_until_caught_up()

    assert counters.records_pushed == len(vectors)
    assert counters.pushes == math.ceil(len(vectors) / 8)
    assert pusher.checkpoint() == last_seq
    latest = {v.instrument: v for v in vectors}
    assert online(pusher, names) == {name: latest[name].as_floats() for name in names}
    assert online(pusher, names)[names[2]]["spread_bps"] is None
    assert pusher.run_once() == 0


def test_a_historical_query_at_t_sees_nothing_after_t_nor_beyond_the_ttl(
    feature_journal: SqliteJournal,
    make_pusher: Callable[..., FeaturePusher],
    instruments: Callable[[int], list[str]],
) -> None:
    early, late = instruments(2)
    # early: buckets 0..9 s, then silence, then one bucket at 400 s. late: from 5 s on.
    vectors = [vector(early, s, step=s) for s in range(10)] + [vector(early, 400, step=400)]
    vectors += [vector(late, s, step=100 + s) for s in range(5, 12)]
    append_vectors(feature_journal, vectors)
    pusher = make_pusher(feature_journal)
    pusher.run_until_caught_up()

    at = [
        -1.0,  # before anything was computed
        0.0,  # exactly at the first bucket: it counts (event time <= t)
        2.5,  # between buckets: the earlier one, not the next
        5.0,
        9.999,
        9 + 299.0,  # inside the TTL of the 9 s bucket
        9 + 301.0,  # beyond it, and before the 400 s bucket: nothing
        399.999,
        400.0,
        1_000.0,  # the 400 s bucket is older than the TTL by then
    ]
    queries = [(name, BASE_NS + int(s * SECOND)) for name in (early, late) for s in at]
    rows = historical(pusher, queries)

    expected = {(name, t): current_at(vectors, name, t) for name, t in queries}
    found = {(row["instrument"], row["t"]): row for row in rows}
    assert len(found) == len(rows)
    for key, vector_at_t in expected.items():
        row = found.get(key)
        if vector_at_t is None:
            # Feast's file store drops such rows or returns them all null: either is "nothing".
            assert row is None or all(row[name] is None for name in FEATURES), key
        else:
            assert row is not None, key
            assert {name: row[name] for name in FEATURES} == vector_at_t.as_floats(), key
    # The check above can fail: some queries see data, some see none.
    assert sum(v is not None for v in expected.values()) == 10
    assert sum(v is None for v in expected.values()) == 10


def test_valkey_down_then_up_loses_nothing(
    feature_journal: SqliteJournal,
    make_pusher: Callable[..., FeaturePusher],
    instruments: Callable[[int], list[str]],
    own_valkey: tuple[str, dict[str, str]],
) -> None:
    address, env = own_valkey
    names = instruments(2)
    before = [vector(name, s, step=s + 50 * n) for s in range(5) for n, name in enumerate(names)]
    after = [vector(name, s, step=s + 50 * n) for s in range(5, 12) for n, name in enumerate(names)]
    append_vectors(feature_journal, before)
    restarts: list[float] = []

    def restart_valkey(delay: float) -> None:
        """The pusher's backoff sleep: Valkey comes back while it waits."""
        restarts.append(delay)
        deploy("up", env)

    pusher = make_pusher(feature_journal, address=address, sleep=restart_valkey)
    assert pusher.run_until_caught_up().records_pushed == len(before)
    pushed_before = pusher.checkpoint()

    deploy("down", env)
    assert ping(address) is not None, "deploy/down valkey left the server running"
    # The features agent keeps appending while the online store is away.
    append_vectors(feature_journal, after)
    with pytest.raises(ValkeyUnavailableError, match=address):
        pusher.run_once()
    assert pusher.checkpoint() == pushed_before

    counters = pusher.run_until_caught_up()

    assert restarts == [0.1]
    assert counters.retries == 1
    assert counters.records_pushed == len(before) + len(after)
    assert pusher.checkpoint() == feature_journal.end_seq()
    latest = {v.instrument: v for v in before + after}
    assert online(pusher, names) == {name: latest[name].as_floats() for name in names}
    # Offline: every vector exactly once, the ones pushed after the outage included.
    queries = [(v.instrument, v.bucket_ts) for v in before + after]
    rows = historical(pusher, queries)
    assert sorted((row["instrument"], row["t"]) for row in rows) == sorted(queries)
    by_key = {(row["instrument"], row["t"]): row for row in rows}
    for v in before + after:
        row = by_key[(v.instrument, v.bucket_ts)]
        assert {name: row[name] for name in FEATURES} == v.as_floats()


def test_a_batch_pushed_twice_changes_nothing(
    feature_journal: SqliteJournal,
    make_pusher: Callable[..., FeaturePusher],
    instruments: Callable[[int], list[str]],
) -> None:
    (name,) = instruments(1)
    vectors = [vector(name, s, step=s) for s in range(6)]
    append_vectors(feature_journal, vectors)
    pusher = make_pusher(feature_journal)
    pusher.run_until_caught_up()
    # A crash after the push and before the checkpoint: the whole batch goes again.
    pusher.source.save_checkpoint(0)
    assert pusher.run_until_caught_up().records_pushed == 2 * len(vectors)

    assert online(pusher, [name]) == {name: vectors[-1].as_floats()}
    queries = [(name, v.bucket_ts + SECOND // 2) for v in vectors]
    rows = historical(pusher, queries)
    assert [(row["instrument"], row["t"]) for row in rows] == queries
    assert [row["vwap_60s"] for row in rows] == [float(v.vwap_60s or 0) for v in vectors]


def test_a_payload_that_does_not_decode_stops_the_push_before_it(
    feature_journal: SqliteJournal,
    make_pusher: Callable[..., FeaturePusher],
    instruments: Callable[[int], list[str]],
) -> None:
    (name,) = instruments(1)
    good = append_vectors(feature_journal, [vector(name, 0, step=0)])
    broken = vector(name, 1, step=1)
    damaged = {**broken.payload(), "trade_count_60s": "many"}
    record = NewRecord(
        topic="features",
        key=name,
        kind="feature_vector",
        schema_version=1,
        event_id="broken",
        ts_event=broken.bucket_ts,
        payload=json.dumps(damaged).encode(),
    )
    with feature_journal.transaction():
        (position,) = feature_journal.append_in_transaction([record])
    pusher = make_pusher(feature_journal, batch_size=1)
    assert pusher.run_once() == 1
    with pytest.raises(FeatureRecordError, match=f"journal seq {position.seq}"):
        pusher.run_once()
    assert pusher.checkpoint() == good[-1]


def test_the_repository_defines_what_the_pusher_sends(tmp_path: Any) -> None:
    feast = require_feast()
    repo = FeastSettings(data_dir=tmp_path).resolved()
    assert isinstance(repo, FeastRepo)
    objects = definitions(repo)
    (view,) = [o for o in objects if isinstance(o, feast.FeatureView)]
    (push,) = [o for o in objects if isinstance(o, feast.PushSource)]
    (entity,) = [o for o in objects if isinstance(o, feast.Entity)]
    assert sorted(field.name for field in view.schema if field.name != "instrument") == sorted(
        FEATURES
    )
    assert entity.join_key == "instrument"
    assert view.ttl.total_seconds() == 300
    assert push.name == "features_push"
    assert push.batch_source.path == str(tmp_path / "features.parquet")


def test_without_feast_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "feast", None)  # what `import feast` meets without it
    with pytest.raises(FeastMissingError, match=r"pip install 'tapeline\[features\]'"):
        require_feast()
    assert issubclass(FeastMissingError, TapelineError)


def test_importing_the_package_does_not_import_feast() -> None:
    code = (
        "import sys, agents.feature_store\nprint('feast' in sys.modules, 'pandas' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["False", "False"]

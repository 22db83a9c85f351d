"""The Kafka broker restarted under running faust workers (deploy/down kafka; deploy/up
kafka): the workers ride it out, the rest of the session is appended, and the tables they
leave equal a replay of the log, so no fill was lost or counted twice.

The broker restarted is the one the tests use: ``deploy/up kafka`` with the same
``$TAPELINE_RUN_DIR`` and ``$TAPELINE_KAFKA_PORT`` (checked against ``$TAPELINE_KAFKA``
before anything is stopped, so a test pointed at a private broker never stops another).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from agents.positions.state import Position
from streams.kafka_replay import lag, live_tables
from tests.cluster import support
from tests.cluster.support import Cluster, binance_slice
from tests.reliability import ledger
from tests.streams import kafka_support

kafka_loop = kafka_support.kafka_loop
kafka_bootstrap = kafka_support.kafka_bootstrap
cluster = support.cluster

PROGRESS_WAIT = 240.0
"""Only a bound on failure (workers that never start): the wait ends at the first commit."""


def _wait_for_progress(cluster: Cluster, appended: int) -> None:
    """Return once the workers have committed some of the ``appended`` records."""
    assert cluster.workers is not None
    deadline = time.monotonic() + PROGRESS_WAIT
    while True:
        behind = asyncio.run(lag(cluster.bootstrap, cluster.namespace, cluster.agents))
        if behind is not None and behind < appended:
            return
        cluster.workers.check()
        assert time.monotonic() < deadline, f"no commit in {PROGRESS_WAIT:g}s ({behind} behind)"
        time.sleep(0.2)


def test_workers_ride_out_a_broker_restart(
    cluster: Cluster, market_data: Path, kafka_bootstrap: str
) -> None:
    records = binance_slice(market_data, ticks=2000, orders=100)
    half = len(records) // 2
    workers = cluster.start_workers(2)
    appended = cluster.append(records[:half])
    _wait_for_progress(cluster, appended)
    try:
        kafka_support.deploy_kafka("down", kafka_bootstrap)
        ledger.add(ledger.FAULTS)
        workers.check()  # still running with no broker
    finally:
        # idempotent: leave the broker up whatever failed
        kafka_support.deploy_kafka("up", kafka_bootstrap)
    cluster.append(records[half:])
    try:
        cluster.wait()  # raises if a worker exited
    except Exception as error:
        pytest.fail(f"{error}\n{_log_tails(workers.logs)}", pytrace=False)
    live = asyncio.run(live_tables(cluster.bootstrap, cluster.namespace, cluster.agents))
    replayed = cluster.replay().tables
    live_fills, replayed_fills = (
        _fills(live["positions"].states),
        _fills(replayed["positions"].states),
    )
    ledger.add(ledger.LOST, max(0, replayed_fills - live_fills))
    ledger.add(ledger.DUPLICATED, max(0, live_fills - replayed_fills))
    assert replayed_fills > 0, "no fill reached positions"
    rows = {name: (len(live[name].states), len(table.states)) for name, table in replayed.items()}
    assert {name: table.hash() for name, table in live.items()} == {
        name: table.hash() for name, table in replayed.items()
    }, f"rows (live, replay) per table: {rows}"


def _log_tails(logs: Sequence[Path], lines: int = 15) -> str:
    """The last lines each worker wrote (why it stopped or what it waits for)."""
    tails = []
    for log in logs:
        text = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []
        tails.append(f"--- {log} ---\n" + "\n".join(text))
    return "\n".join(tails)


def _fills(positions: Mapping[str, Position]) -> int:
    return sum(position.fills for position in positions.values())

"""The Kafka broker restarted mid-run (deploy/down kafka; deploy/up kafka): the same
KafkaLog keeps appending once it is back, and every record, before and after, reads back
in order with nothing lost or repeated."""

from __future__ import annotations

from collections.abc import Callable

from streams.topics import EXEC_REPORTS
from tests.reliability import ledger
from tests.streams import kafka_support
from tests.streams.kafka_support import LoopBoundLog
from tests.streams.log_contract import fills, run

kafka_loop = kafka_support.kafka_loop
kafka_bootstrap = kafka_support.kafka_bootstrap
kafka_logs = kafka_support.kafka_logs


def test_a_broker_restart_loses_nothing(
    kafka_logs: Callable[..., LoopBoundLog], kafka_bootstrap: str
) -> None:
    log = kafka_logs()
    records = fills(120, accounts=4)
    before = run(log.append(records[:60]))
    try:
        kafka_support.deploy_kafka("down", kafka_bootstrap)
        ledger.add(ledger.FAULTS)
    finally:
        # idempotent: leave the broker up whatever failed
        kafka_support.deploy_kafka("up", kafka_bootstrap)
    after = run(log.append(records[60:]))  # the producer reconnects and carries on
    placed = [*before, *after]
    read = []
    for partition, end in run(log.end_offsets(EXEC_REPORTS)).items():
        read.extend(run(log.read(EXEC_REPORTS, partition, 0, end + 10)))
    assert sorted(r.event_id for r in read) == sorted(r.event_id for r in records)
    by_partition: dict[int, list[int]] = {}
    for record in read:
        by_partition.setdefault(record.partition, []).append(record.offset)
    assert all(offsets == list(range(len(offsets))) for offsets in by_partition.values())
    assert {(p.partition, p.offset) for p in placed} == {(r.partition, r.offset) for r in read}
    ledger.add(ledger.LOST, len(records) - len(read))

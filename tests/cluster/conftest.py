"""Fixtures for the cluster-mode tests: the real broker (FAIL when it is down) and a
cluster namespace per test."""

from tests.cluster.support import cluster
from tests.streams.kafka_support import kafka_bootstrap, kafka_loop

__all__ = ["cluster", "kafka_bootstrap", "kafka_loop"]

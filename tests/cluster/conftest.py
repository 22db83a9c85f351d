"""Fixtures for the cluster-mode tests: the real broker (FAIL when it is down)."""

from tests.streams.kafka_support import kafka_bootstrap, kafka_loop

__all__ = ["kafka_bootstrap", "kafka_loop"]

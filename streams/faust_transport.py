"""faust's App and aiokafka transport, tuned: a short fetch wait, no Monitor sensor.

faust builds its worker consumer with ``fetch_max_wait_ms=1500`` (hard-coded, no setting).
aiokafka keeps one fetch request in flight per broker, and a request leaves out the
partitions whose fetched records are still waiting to be consumed (for more than its
``prefetch_backoff``, 0.1 s). When the worker was busy for a moment (a large batch), the
next request goes out without the order partitions, the broker holds it until data
arrives on the partitions it names or the wait runs out, and the orders that arrive
meanwhile wait up to 1.5 s: order -> accepted over Kafka had a p90 of 1.8 s at 1,000
orders/s. With ``FETCH_MAX_WAIT_MS`` the worst case is that wait; an idle worker asks
the broker that much more often: about 5 % of a core for a worker with every agent at
50 ms (1.8 % at 1.5 s, 9 % at 20 ms, 20 % at 5 ms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

FETCH_MAX_WAIT_MS = 50
"""The longest the broker holds a worker's fetch request without data for it."""


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read by the fetcher that ``start`` creates (aiokafka passes it on there).
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    """The aiokafka transport whose worker consumer waits ``FETCH_MAX_WAIT_MS``."""

    Consumer = _Consumer


class App(faust.App):
    """faust's App on ``Transport`` (a short fetch wait), without its
    ``Monitor`` sensor, which keeps per-record statistics on every message, stream event
    and send for faust's web views (disabled here)."""

    def _new_transport(self) -> Any:
        return Transport(self.conf.broker_consumer, self)

    def on_init_dependencies(self) -> Iterable[Any]:
        dependencies = super().on_init_dependencies()
        self.sensors.remove(self.monitor)
        return dependencies

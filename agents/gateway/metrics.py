"""Prometheus text exposition, hand-written: request counts and latencies per route
template (never the raw path: bounded label sets), and OMS outcomes."""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return ",".join(f'{name}="{escape(value)}"' for name, value in labels.items())


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)
        self.orders: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            counts = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self._sums[route] += seconds

    def order_outcome(self, outcome: str) -> None:
        with self._lock:
            self.orders[outcome] += 1

    def render(self) -> str:
        lines = [
            "# HELP tapeline_gateway_requests_total HTTP requests by method, route, status.",
            "# TYPE tapeline_gateway_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), count in sorted(self.requests.items()):
                labels = _labels(method=method, route=route, status=status)
                lines.append(f"tapeline_gateway_requests_total{{{labels}}} {count}")
            lines += [
                "# HELP tapeline_gateway_request_seconds Request latency by route.",
                "# TYPE tapeline_gateway_request_seconds histogram",
            ]
            for route, counts in sorted(self._buckets.items()):
                running = 0
                for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                    running += count
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    labels = _labels(route=route, le=le)
                    lines.append(f"tapeline_gateway_request_seconds_bucket{{{labels}}} {running}")
                labels = _labels(route=route)
                lines.append(
                    f"tapeline_gateway_request_seconds_sum{{{labels}}} {self._sums[route]}"
                )
                lines.append(f"tapeline_gateway_request_seconds_count{{{labels}}} {running}")
            lines += [
                "# HELP tapeline_gateway_orders_total OMS decisions answered, by outcome.",
                "# TYPE tapeline_gateway_orders_total counter",
            ]
            for outcome, count in sorted(self.orders.items()):
                lines.append(f"tapeline_gateway_orders_total{{{_labels(outcome=outcome)}}} {count}")
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """Times every HTTP request; the route label is the matched template, or
    ``unmatched`` (so scanning random paths cannot grow the label set)."""

    def __init__(self, app: App, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)

"""How a process wires the live gateway: one NATS link, the hub behind ``/ws``, the
publisher behind the runtime's commits, and the ``risk.check`` responder.

In the app::

    live = LiveGateway(authenticate, known_instrument=config.registry.__contains__)
    app.include_router(live.router)
    # lifespan:
    await live.start()                                   # connects NATS
    runtime = live.publishing_runtime(journal, config)   # or wrap the app's own runtime
    await live.serve_risk_checks(locked_judge(engine.with_book, config.limits))
    ...
    await live.stop()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter

from agents.live_gateway.channels import Authenticate
from agents.live_gateway.hub import LiveHub
from agents.live_gateway.risk_responder import Judge, RiskResponder
from agents.live_gateway.router import live_router
from agents.pnl.series import present as pnl_present
from agents.registry import Config, build_agents
from agents.view import TablesView
from streams.nats_bus import LivePublisher, NatsLink, PublishingRuntime, RowFeed
from streams.sqlite_journal import SqliteJournal
from streams.state import Table


def pnl_row(key: str, series: Any, tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The PnL row without its history (up to an hour of points): the latest point only."""
    row = pnl_present(key, series, tables)
    points = row.pop("points")
    row["last_point"] = points[-1] if points else None
    return row


ROW_FEEDS = (RowFeed("positions", "positions"), RowFeed("pnl", "pnl", pnl_row))


def publishing_runtime(
    journal: SqliteJournal, config: Config, publisher: LivePublisher
) -> PublishingRuntime:
    """``agents.registry.embedded_runtime`` that also publishes every commit."""

    def view(tables: Mapping[str, Table[Any]]) -> TablesView:
        return TablesView(tables, config.registry)

    return PublishingRuntime(
        journal, build_agents(config), view, publisher=publisher, row_feeds=ROW_FEEDS
    )


class LiveGateway:
    """The live gateway's parts for one process; ``router`` works once ``start`` ran."""

    def __init__(
        self,
        authenticate: Authenticate,
        *,
        servers: str | None = None,
        path: str = "/ws",
        queue_capacity: int = 1024,
        known_instrument: Callable[[str], bool] | None = None,
    ) -> None:
        self.servers = servers
        self.link: NatsLink | None = None
        self.hub: LiveHub | None = None
        self.publisher: LivePublisher | None = None
        self.responder: RiskResponder | None = None
        self.router: APIRouter = live_router(
            lambda: self.hub,
            authenticate,
            path=path,
            queue_capacity=queue_capacity,
            known_instrument=known_instrument,
        )

    async def start(self) -> None:
        self.link = await NatsLink.connect(self.servers, name="tapeline-live-gateway")
        self.hub = LiveHub(self.link)
        self.publisher = LivePublisher(self.link)
        self.publisher.start()

    def _link(self) -> NatsLink:
        if self.link is None:
            raise RuntimeError("LiveGateway.start() has not run")
        return self.link

    def publishing_runtime(self, journal: SqliteJournal, config: Config) -> PublishingRuntime:
        self._link()
        assert self.publisher is not None
        return publishing_runtime(journal, config, self.publisher)

    async def serve_risk_checks(self, judge: Judge) -> RiskResponder:
        self.responder = RiskResponder(self._link(), judge)
        await self.responder.start()
        return self.responder

    async def stop(self) -> None:
        if self.responder is not None:
            await self.responder.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        if self.link is not None:
            await self.link.close()
        self.hub = None

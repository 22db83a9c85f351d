"""The engine's own thread, so async handlers never wait on SQLite on the event loop.

Every engine call an async handler makes goes through ``EngineWorker``: one thread runs
them one at a time, in the order they were asked for. Commands are group-committed:
those that arrive while a batch is being executed wait (on the loop, for free) and go
together into the next ``GatewayEngine.execute``, one transaction for all of them, in
arrival order, so the OMS decides them in the order the gateway received them, and at a
high rate each order pays a share of one commit instead of a commit of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from agents.gateway.engine import CommandFactory, GatewayEngine, Outcome

T = TypeVar("T")

_Waiting = tuple[Sequence[CommandFactory], "asyncio.Future[list[Outcome]]"]


class EngineWorker:
    def __init__(self, engine: GatewayEngine) -> None:
        self.engine = engine
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="gateway-engine")
        self._waiting: list[_Waiting] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # held: the loop keeps weak refs

    async def call(self, use: Callable[..., T], *args: object) -> T:
        """``use(*args)`` on the engine's thread (a read under the engine's lock)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, use, *args)

    async def execute(self, factories: Sequence[CommandFactory]) -> list[Outcome]:
        """``engine.execute(factories)``, committed with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Outcome]] = loop.create_future()
        self._waiting.append((factories, future))
        if not self._draining:
            self._draining = True
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                factories = [factory for waiting, _ in batch for factory in waiting]
                try:
                    outcomes = await self.call(self.engine.execute, factories)
                except Exception as error:  # each waiting request answers the failure
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                start = 0
                for waiting, future in batch:
                    end = start + len(waiting)
                    if not future.done():  # a request whose client left is not answered
                        future.set_result(outcomes[start:end])
                    start = end
        finally:
            self._draining = False

    def close(self) -> None:
        self._thread.shutdown(wait=True)

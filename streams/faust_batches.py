"""Batching inside a faust agent: take records as they come, fold what piled up, write once.

* ``Batches``: natural batching without a timer (see its docstring): one pump task takes
  records off the agent's ``noack`` stream, one folder task folds whatever piled up, and
  one acker acks each batch once every write it made is acknowledged by the broker.
* ``put``: a table write in the partition of a given event: the store, then the
  changelog, sent by us (not faust's ``send_changelog``) so that its delivery is known.
* ``fatal``: the one way a worker gives up (a write the broker refused, a stall): the
  process exits at once with ``EXIT_FATAL`` and its supervisor (``faust_worker``) starts it
  again from the changelogs. Nothing is committed past a record whose writes were not
  acknowledged, so the records after the last commit come again and fold the same.

Why acks wait for deliveries: faust commits the acked offsets after ``producer.flush()``,
but that flush returns while faust's own send buffer still holds messages (it gives up
after 0.1 s without a send) and a send that failed is only logged (``_on_published``), so
a changelog row or an output lost while the broker was away could be committed past.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

# faust's stores and tables find "the current partition" through this context variable,
# which faust sets only while it iterates a stream itself (private, but the one way in).
from faust.streams import _current_event
from faust.types import TP

BATCH_MAX = 2000
"""Records an agent takes off its stream before it waits for its folder to catch up."""
IDLE_TURNS = 30
"""Event-loop turns without a new record that end a batch (see ``Batches._gather``)."""
FOLDED_MAX = 4
"""Folded batches waiting for their deliveries before the folder waits too."""
EXIT_FATAL = 70
"""Exit status of a worker that gave up (its supervisor restarts it)."""

Delivery = asyncio.Future[Any]
"""A send handed to the producer; its result is the broker's acknowledgement."""

log = logging.getLogger(__name__)


def fatal(reason: str) -> None:
    """Exit now (no graceful stop: that would commit and could hang on a dead broker)."""
    print(f"tapeline worker: fatal: {reason}; exiting for a restart", file=sys.stderr, flush=True)
    logging.shutdown()
    os._exit(EXIT_FATAL)


class Batches:
    """Natural batching without a timer: a pump takes records off the stream as faust hands
    them over, a folder folds everything that piled up since its last batch.

    faust hands an agent about one record per event-loop turn, so the folder lets the loop
    turn until ``IDLE_TURNS`` turns in a row bring nothing (``_gather``): a lone record
    waits a few loop turns, not a timer (``take_events(n, within)`` wakes every agent
    every ``within`` even when idle, and with the folder woken per record every batch was
    one record: 7 changelog messages per input record, 2.2 ms of CPU). Under load the
    batches grow with the rate (about 13 records per batch at 600/s, more above).
    ``fold`` returns the deliveries of the batch's writes; the acker acks the batch
    (``noack`` stream, manual acks) once they all succeeded, in batch order, while the
    folder goes on with the next batch. A failed delivery or a broken batch is ``fatal``.
    """

    def __init__(
        self, stream: Any, fold: Callable[[list[Any]], Awaitable[Sequence[Delivery]]]
    ) -> None:
        self.stream = stream.noack()
        self.fold = fold
        self.pending: list[Any] = []
        self.arrived = asyncio.Event()
        self.drained = asyncio.Event()
        self.folded: asyncio.Queue[tuple[list[Any], Sequence[Delivery]]] = asyncio.Queue(FOLDED_MAX)

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump())
                group.create_task(self._folder())
                group.create_task(self._acker())
        except asyncio.CancelledError:
            raise  # the worker stops
        except BaseException as error:
            fatal(f"an agent failed: {error!r}")

    async def _pump(self) -> None:
        async for event in self.stream.events():
            self.pending.append(event)
            self.arrived.set()
            if len(self.pending) >= BATCH_MAX:  # back-pressure: faust pauses fetching
                self.drained.clear()
                await self.drained.wait()

    async def _gather(self) -> None:
        """Let the records faust is handing over pile up: yield to the loop while the pump
        keeps adding (faust passes one record per loop turn), stop at the first turns
        that add nothing. A lone record waits ``IDLE_TURNS`` loop turns, not a timer."""
        idle = 0
        while idle < IDLE_TURNS and len(self.pending) < BATCH_MAX:
            count = len(self.pending)
            await asyncio.sleep(0)
            idle = idle + 1 if len(self.pending) == count else 0

    async def _folder(self) -> None:
        while True:
            await self.arrived.wait()
            await self._gather()
            self.arrived.clear()
            batch, self.pending = self.pending, []
            self.drained.set()
            await self.folded.put((batch, await self.fold(batch)))

    async def _acker(self) -> None:
        while True:
            batch, deliveries = await self.folded.get()
            for delivery in deliveries:
                try:
                    await delivery
                except Exception as error:
                    fatal(f"a write was not acknowledged: {error!r}")
            for event in batch:
                await self.stream.ack(event)


async def put(table: Any, event: Any, key: bytes, value: bytes) -> Delivery:
    """``table[key] = value`` in ``event``'s partition: the store, then the changelog.

    faust's ``__setitem__`` would first compare the source topic's partition count with
    the changelog's as the consumer's metadata knows them, and a changelog faust created
    after the consumer's last metadata refresh counts 0 there: the agent would crash on
    its first write. ``faust_worker``'s preflight checks the counts before faust starts.
    The store may hold a row whose changelog write then fails: the worker exits
    (``fatal``) and its supervisor drops the store, so the changelog is the only truth.
    """
    set_current_event(event)
    partition = event.message.partition
    table.data[key] = value  # RocksDB: the partition of the current event
    topic = table.changelog_topic.get_topic_name()
    delivery: Delivery = await table.app.producer.send(topic, key, value, partition, None, None)

    def persisted(done: Delivery) -> None:
        if not done.cancelled() and done.exception() is None:
            # where a restart with this store recovers from (as faust's own writes do)
            table.data.set_persisted_offset(TP(topic, partition), done.result().offset)

    delivery.add_done_callback(persisted)
    return delivery


def clear_current_event() -> None:
    _current_event.set(None)


def set_current_event(event: Any) -> None:
    """Table reads (faust's RocksDB store) look in the partition of the current event."""
    _current_event.set(weakref.ref(event))

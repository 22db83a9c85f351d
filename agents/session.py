"""The trading session behind `tapeline run`: feed -> normalizer -> order flow -> agents.

Ticks are appended to ``md.ticks`` as the feed yields them; whenever the order flow sends
commands they are appended right after the tick that prompted them and the runtime catches
up at once, so the OMS decides on the market as it stood and the venue sees the accepted
order before the next tick, as a live system would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agents.normalizer import Problem
from agents.orderflow.generator import OrderFlow
from agents.sink_ticks import TickSink
from schemas import MarketDataGap, Record
from streams.records import NewRecord, new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import SqliteJournal
from streams.topics import DEADLETTER, MD_TICKS, ORDERS_COMMANDS

FLUSH_RECORDS = 2000


@dataclass
class SessionCounts:
    ticks: int = 0
    gaps: int = 0
    problems: int = 0
    commands: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    problem_samples: list[str] = field(default_factory=list)


class Session:
    def __init__(
        self,
        journal: SqliteJournal,
        runtime: EmbeddedRuntime,
        flow: OrderFlow | None,
        on_tick: Callable[[int], None] | None = None,
        sink: TickSink | None = None,
    ) -> None:
        self.sink = sink
        self.journal = journal
        self.runtime = runtime
        self.flow = flow
        self.counts = SessionCounts()
        self._pending: list[NewRecord] = []
        self._on_tick = on_tick

    def run(self, feed: Iterable[Record | Problem]) -> SessionCounts:
        started = time.perf_counter()
        for item in feed:
            self._take(item)
            if len(self._pending) >= FLUSH_RECORDS:
                self._flush()
        self._flush()
        self.runtime.flush()
        self.counts.seconds = time.perf_counter() - started
        return self.counts

    def _take(self, item: Record | Problem) -> None:
        counts = self.counts
        if isinstance(item, Problem):
            counts.problems += 1
            if len(counts.problem_samples) < 5:
                counts.problem_samples.append(f"{item.origin}: {item.reason}")
            letter = item.to_dead_letter(ts_event=time.time_ns())
            self._pending.append(new_record(DEADLETTER, letter))
            return
        self._pending.append(new_record(MD_TICKS, item))
        if isinstance(item, MarketDataGap):
            counts.gaps += 1
            return
        counts.ticks += 1
        if self._on_tick is not None:
            self._on_tick(counts.ticks)
        commands = self.flow.on_tick(item) if self.flow is not None else []
        if commands:
            counts.commands += len(commands)
            self._pending.extend(new_record(ORDERS_COMMANDS, command) for command in commands)
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            with self.journal.transaction():
                self.journal.append_in_transaction(self._pending)
            self._pending.clear()
        self.counts.dead_letters += self.runtime.catchup().dead_letters
        if self.sink is not None:
            self.sink.run_until_caught_up()

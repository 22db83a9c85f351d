"""The gateway's embedded engine: the one writer of the data dir, behind one lock.

A command is appended to ``orders.commands`` with a fresh event id, the runtime catches
up, and the OMS's decision is the record in ``orders.events`` whose ``causation_id`` is
that event id. The lookup is bounded below by the (first) command's own ``seq`` (the
journal's primary key) and reads only the three topics an answer needs, so it reads
what was written after the commands of one ``execute``, never the whole log: one read
for the whole batch.

Everything that touches the runtime's tables (reads included: ``evolve`` updates state in
place) holds ``lock``; each call first catches up, so records appended by another process
(``tapeline log append``) are folded before an answer is given.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from agents.oms.agent import NAME as OMS
from agents.oms.state import AccountBook
from agents.registry import Config, embedded_runtime, load_config
from agents.tables import TableName, View, read_rows
from schemas import Record
from streams.records import NewRecord, new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import Durability, SqliteJournal
from streams.topics import DEADLETTER, ORDERS_COMMANDS, ORDERS_EVENTS, RISK_DECISIONS

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_ANSWERED = (ORDERS_EVENTS, RISK_DECISIONS, DEADLETTER)
"""The topics an ``Outcome`` is made of."""
_CAUSED_AFTER = (
    "SELECT causation_id, topic, kind, payload FROM journal "
    "WHERE seq > ? AND +topic IN (?, ?, ?) ORDER BY seq"  # "+": by seq, not the topic index
)

CommandFactory = Callable[[int], Record]
"""Builds a command given its ``ts_event``: the gateway stamps time under the lock, so
commands' times follow their order in the log."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the engine recorded for one command."""

    event_id: str
    decisions: list[tuple[str, dict[str, Any]]]
    """``orders.events`` records caused by the command, in log order: (kind, payload)."""
    risk: dict[str, Any] | None
    """The ``risk.decisions`` record caused by it, if risk ran."""
    dead_lettered: bool


def stamped(command: Record) -> CommandFactory:
    """A factory giving ``command`` (validated with any ``ts_event``) the time it is sent."""

    def at(ts_event: int) -> Record:
        return command.model_copy(update={"ts_event": ts_event})

    return at


class GatewayEngine:
    def __init__(
        self,
        journal: SqliteJournal,
        config: Config,
        runtime: EmbeddedRuntime | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.journal = journal
        self.config = config
        self.runtime = runtime or embedded_runtime(journal, config)
        self.lock = threading.RLock()
        self._clock = clock or time.time_ns
        self._synced_at: int | None = None
        """The journal's end seq when the runtime last caught up to it under the lock;
        None after a write (submitting may append past what it reports)."""
        with self.lock:
            self._catchup()

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "normal") -> GatewayEngine:
        return cls(SqliteJournal.in_dir(data_dir, durability), load_config(data_dir))

    def _catchup(self) -> None:
        end = self.journal.end_seq()  # read first: catching up covers at least this much
        self.runtime.catchup()
        self._synced_at = end

    def close(self) -> None:
        with self.lock:
            self.runtime.flush()
            self.journal.close_now()

    # -- commands -----------------------------------------------------------------

    def execute(self, factories: Sequence[CommandFactory]) -> list[Outcome]:
        """Append the commands in one transaction (all or none), run the agents, and
        return what was decided for each."""
        with self.lock:
            self._synced_at = None  # submitting catches up first, then may append past it
            records = []
            for factory in factories:
                event_id = f"gw:{uuid.uuid4().hex}"
                command = factory(self._clock())
                records.append(
                    new_record(ORDERS_COMMANDS, command, event_id=event_id, correlation_id=event_id)
                )
            placed = self.runtime.submit(records)
            outcomes = self._outcomes(placed[0].seq if placed else 0, records)
            # ``submit`` ends caught up; this says so in ``_synced_at`` (one read of the
            # end: nothing to fold unless another process appended meanwhile), so the
            # risk checks that follow an order still read the book on the loop.
            self._catchup()
            return outcomes

    def _outcomes(self, after_seq: int, commands: Sequence[NewRecord]) -> list[Outcome]:
        """What was recorded for each command: one read of everything written after the
        first of them, sorted out by causation id (a batch costs one query, not one each)."""
        caused: dict[str, list[tuple[str, str, str]]] = {c.event_id: [] for c in commands}
        rows = self.journal.db.execute(_CAUSED_AFTER, (after_seq, *_ANSWERED))
        for cause, topic, kind, body in rows:
            if cause in caused:
                caused[cause].append((topic, kind, body))
        return [self._outcome(c.event_id, caused[c.event_id]) for c in commands]

    @staticmethod
    def _outcome(event_id: str, rows: list[tuple[str, str, str]]) -> Outcome:
        decisions = [(kind, _decode(body)) for topic, kind, body in rows if topic == ORDERS_EVENTS]
        risk = next((_decode(body) for topic, _, body in rows if topic == RISK_DECISIONS), None)
        dead = any(topic == DEADLETTER for topic, _, _ in rows)
        return Outcome(event_id, decisions, risk, dead)

    # -- reads ----------------------------------------------------------------------

    def rows(self, name: TableName, view: View = View.rows) -> list[dict[str, Any]]:
        with self.lock:
            self._catchup()
            tables = {agent: table.states for agent, table in self.runtime.tables().items()}
            return read_rows(name, tables, self.config, view)

    def with_book(self, account: str, use: Callable[[AccountBook, Any], Any]) -> Any:
        """Call ``use(book, view)`` with the OMS's live book of ``account`` (a fresh one if
        the account has none), under the lock; nothing is appended."""
        with self.lock:
            self._catchup()
            return use(self.runtime.tables()[OMS].get(account), self.runtime.view)

    def with_book_now(
        self, account: str, use: Callable[[AccountBook, Any], Any]
    ) -> tuple[bool, Any]:
        """``(True, with_book(account, use))`` when that needs no waiting and no write:
        the lock is free and nothing was appended since the runtime last caught up (one
        read of the journal's end). Otherwise ``(False, None)``: ask ``with_book`` on a
        thread that may wait (and catch up, which commits)."""
        if not self.lock.acquire(blocking=False):
            return False, None
        try:
            if self._synced_at is None or self._synced_at != self.journal.end_seq():
                return False, None
            return True, use(self.runtime.tables()[OMS].get(account), self.runtime.view)
        finally:
            self.lock.release()

    def accounts(self) -> set[str]:
        """Accounts the OMS holds state for, and those the limits name."""
        with self.lock:
            self._catchup()
            held = set(self.runtime.tables()[OMS].states)
        held.discard("*")
        return held | set(self.config.limits.accounts)

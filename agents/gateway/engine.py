"""The gateway's embedded engine: the one writer of the data dir, behind one lock.

A command is appended to ``orders.commands`` with a fresh event id, the runtime catches
up, and the OMS's decision is the record in ``orders.events`` whose ``causation_id`` is
that event id. The lookup is bounded below by the command's own ``seq`` (the journal's
primary key), so it reads only what was written after the command, never the whole log.

Everything that touches the runtime's tables (reads included: ``evolve`` updates state in
place) holds ``lock``; each call first catches up, so records appended by another process
(``tapeline log append``) are folded before an answer is given.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.oms.agent import NAME as OMS
from agents.oms.state import AccountBook
from agents.registry import Config, embedded_runtime, load_config
from agents.tables import TableName, View, read_rows
from schemas import Record
from streams.records import new_record
from streams.runtime import EmbeddedRuntime
from streams.sqlite_journal import Durability, SqliteJournal
from streams.topics import DEADLETTER, ORDERS_COMMANDS, ORDERS_EVENTS, RISK_DECISIONS

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
        with self.lock:
            self.runtime.catchup()

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "normal") -> GatewayEngine:
        return cls(SqliteJournal.in_dir(data_dir, durability), load_config(data_dir))

    def close(self) -> None:
        with self.lock:
            self.runtime.flush()
            self.journal.close_now()

    # -- commands -----------------------------------------------------------------

    def execute(self, factories: Sequence[CommandFactory]) -> list[Outcome]:
        """Append the commands in one transaction (all or none), run the agents, and
        return what was decided for each."""
        with self.lock:
            self.runtime.catchup()
            records = []
            for factory in factories:
                event_id = f"gw:{uuid.uuid4().hex}"
                command = factory(self._clock())
                records.append(
                    new_record(ORDERS_COMMANDS, command, event_id=event_id, correlation_id=event_id)
                )
            placed = self.runtime.submit(records)
            first = placed[0].seq if placed else 0
            return [self._outcome(first, record.event_id) for record in records]

    def _outcome(self, after_seq: int, event_id: str) -> Outcome:
        rows = self.journal.db.execute(
            "SELECT topic, kind, payload FROM journal WHERE seq > ? AND causation_id = ? "
            "ORDER BY seq",
            (after_seq, event_id),
        ).fetchall()
        decisions = [
            (kind, json.loads(body)) for topic, kind, body in rows if topic == ORDERS_EVENTS
        ]
        risk = next((json.loads(body) for topic, _, body in rows if topic == RISK_DECISIONS), None)
        dead = any(topic == DEADLETTER for topic, _, _ in rows)
        return Outcome(event_id, decisions, risk, dead)

    # -- reads ----------------------------------------------------------------------

    def rows(self, name: TableName, view: View = View.rows) -> list[dict[str, Any]]:
        with self.lock:
            self.runtime.catchup()
            tables = {agent: table.states for agent, table in self.runtime.tables().items()}
            return read_rows(name, tables, self.config, view)

    def with_book(self, account: str, use: Callable[[AccountBook, Any], Any]) -> Any:
        """Call ``use(book, view)`` with the OMS's live book of ``account`` (a fresh one if
        the account has none), under the lock; nothing is appended."""
        with self.lock:
            self.runtime.catchup()
            table = self.runtime.tables()[OMS]
            return use(table.get(account), self.runtime.view)

    def accounts(self) -> set[str]:
        """Accounts the OMS holds state for, and those the limits name."""
        with self.lock:
            self.runtime.catchup()
            held = set(self.runtime.tables()[OMS].states)
        held.discard("*")
        return held | set(self.config.limits.accounts)

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read-only query on the journal (the audit trail)."""
        with self.lock:
            return list(self.journal.db.execute(sql, tuple(params)).fetchall())

"""Live state tables, consumer progress and snapshots, inside the journal's SQLite file.

They live in the same file as the log so that an agent's outputs, its new state and
its input position commit in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.agent import Agent
from streams.state import Table, table_hash

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_state (
    agent TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (agent, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent_seen (
    agent TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (agent, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent_progress (
    agent TEXT PRIMARY KEY, input_seq INTEGER NOT NULL, state_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_saved (
    agent TEXT PRIMARY KEY, saved_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id INTEGER NOT NULL, agent TEXT NOT NULL, state_seq INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, agent)
);
CREATE TABLE IF NOT EXISTS snapshot_state (
    snapshot_id INTEGER NOT NULL, agent TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (snapshot_id, agent, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshot_seen (
    snapshot_id INTEGER NOT NULL, agent TEXT NOT NULL, event_id TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, agent, event_id)
) WITHOUT ROWID;
"""


def _as_bytes(value: object) -> bytes:
    """State values are BLOBs; a hand-edited row may come back as TEXT."""
    return value if isinstance(value, bytes) else str(value).encode()


@dataclass(frozen=True, slots=True)
class Progress:
    input_seq: int
    """The last input record (global seq) this agent has consumed."""
    state_seq: int
    """The last record of its replay topics that its state reflects."""


class StateStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    def progress(self, agent: str) -> Progress:
        row = self.db.execute(
            "SELECT input_seq, state_seq FROM agent_progress WHERE agent = ?", (agent,)
        ).fetchone()
        return Progress(int(row[0]), int(row[1])) if row else Progress(0, 0)

    def load(self, agent: Agent[Any]) -> Table[Any]:
        table: Table[Any] = Table(agent)
        for key, value in self.db.execute(
            "SELECT key, value FROM agent_state WHERE agent = ?", (agent.name,)
        ):
            table.load_row(key, _as_bytes(value))
        table.seen.update(
            eid
            for (eid,) in self.db.execute(
                "SELECT event_id FROM agent_seen WHERE agent = ?", (agent.name,)
            )
        )
        return table

    def all_progress(self) -> dict[str, Progress]:
        return {
            agent: Progress(int(input_seq), int(state_seq))
            for agent, input_seq, state_seq in self.db.execute("SELECT * FROM agent_progress")
        }

    def save(self, agent: str, rows: Iterable[tuple[str, bytes]], seen: Iterable[str]) -> None:
        """Write changed rows and new event ids; call inside the transaction."""
        self.db.executemany(
            "INSERT INTO agent_state VALUES (?, ?, ?) "
            "ON CONFLICT DO UPDATE SET value = excluded.value",
            [(agent, key, value) for key, value in rows],
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO agent_seen VALUES (?, ?)", [(agent, e) for e in seen]
        )

    def saved_seq(self, agent: str) -> int:
        """The seq the agent's saved rows stand at (see streams/recovery.py)."""
        row = self.db.execute(
            "SELECT saved_seq FROM agent_saved WHERE agent = ?", (agent,)
        ).fetchone()
        return int(row[0]) if row else 0

    def mark_saved(self, agent: str, seq: int) -> None:
        self.db.execute(
            "INSERT INTO agent_saved VALUES (?, ?) ON CONFLICT DO UPDATE "
            "SET saved_seq = excluded.saved_seq",
            (agent, seq),
        )

    def save_progress(self, positions: Iterable[tuple[str, Progress]]) -> None:
        """Each agent's new position; call inside the transaction that wrote its work."""
        self.db.executemany(
            "INSERT INTO agent_progress VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET "
            "input_seq = excluded.input_seq, state_seq = excluded.state_seq",
            [(agent, p.input_seq, p.state_seq) for agent, p in positions],
        )

    def rows(self, agent: str) -> list[tuple[str, bytes]]:
        return [
            (key, _as_bytes(value))
            for key, value in self.db.execute(
                "SELECT key, value FROM agent_state WHERE agent = ? ORDER BY key", (agent,)
            )
        ]

    def table_hash(self, agent: str) -> str:
        return table_hash(self.rows(agent))

    # -- snapshots ------------------------------------------------------------------

    def take_snapshot(self, agents: Iterable[str]) -> int:
        """Copy every live table, its seen ids and its position; returns the snapshot id."""
        row = self.db.execute("SELECT coalesce(max(snapshot_id), 0) + 1 FROM snapshots").fetchone()
        snapshot_id = int(row[0])
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for agent in agents:
                # The saved rows stand at saved_seq (streams/recovery.py), not at the
                # agent's latest position: the snapshot records the seq its rows are at.
                self.db.execute(
                    "INSERT INTO snapshots VALUES (?, ?, ?)",
                    (snapshot_id, agent, self.saved_seq(agent)),
                )
                self.db.execute(
                    "INSERT INTO snapshot_state SELECT ?, agent, key, value FROM agent_state "
                    "WHERE agent = ?",
                    (snapshot_id, agent),
                )
                self.db.execute(
                    "INSERT INTO snapshot_seen SELECT ?, agent, event_id FROM agent_seen "
                    "WHERE agent = ?",
                    (snapshot_id, agent),
                )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return snapshot_id

    def latest_snapshot(self, until_seq: int | None = None) -> int | None:
        """The newest snapshot all of whose tables stand at or before ``until_seq``."""
        row = self.db.execute(
            "SELECT snapshot_id FROM snapshots GROUP BY snapshot_id "
            "HAVING max(state_seq) <= ? ORDER BY snapshot_id DESC LIMIT 1",
            (until_seq if until_seq is not None else 2**62,),
        ).fetchone()
        return int(row[0]) if row else None

    def load_snapshot(self, snapshot_id: int, agent: Agent[Any]) -> tuple[Table[Any], int]:
        """The agent's table as the snapshot holds it, and the seq it stands at."""
        table: Table[Any] = Table(agent)
        row = self.db.execute(
            "SELECT state_seq FROM snapshots WHERE snapshot_id = ? AND agent = ?",
            (snapshot_id, agent.name),
        ).fetchone()
        if row is None:
            return table, 0
        for key, value in self.db.execute(
            "SELECT key, value FROM snapshot_state WHERE snapshot_id = ? AND agent = ?",
            (snapshot_id, agent.name),
        ):
            table.load_row(key, _as_bytes(value))
        table.seen.update(
            eid
            for (eid,) in self.db.execute(
                "SELECT event_id FROM snapshot_seen WHERE snapshot_id = ? AND agent = ?",
                (snapshot_id, agent.name),
            )
        )
        return table, int(row[0])

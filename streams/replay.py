"""Replay: fold every agent's recorded events into a fresh in-memory store.

One pass over the journal in log order, streaming in batches (memory stays flat in the
length of the log), ``evolve`` only, never ``decide``. The result is a hash per table,
compared with the live tables by ``--verify``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.agent import Agent
from streams.codec import decoder_for
from streams.errors import CorruptRecordError
from streams.sqlite_journal import SqliteJournal
from streams.state import Table
from streams.store import StateStore

BATCH = 5000


@dataclass(frozen=True, slots=True)
class Until:
    """Where replay stops: at a global seq (inclusive) or an event time (inclusive)."""

    seq: int | None = None
    ts_event: int | None = None


@dataclass
class ReplayResult:
    tables: dict[str, Table[Any]]
    events: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    start_seq: int = 0
    end_seq: int = 0

    def hashes(self) -> dict[str, str]:
        return {name: table.hash() for name, table in sorted(self.tables.items())}


def replay(
    journal: SqliteJournal,
    agents: Sequence[Agent[Any]],
    until: Until | None = None,
    snapshot_id: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Rebuild every agent's table; start from ``snapshot_id`` if given, else from empty."""
    until = until or Until()
    store = StateStore(journal.db)
    tables: dict[str, Table[Any]] = {}
    starts: dict[str, int] = {}
    agents = [agent for agent in agents if agent.replayable]
    for agent in agents:
        if snapshot_id is None:
            tables[agent.name], starts[agent.name] = Table(agent), 0
        else:
            tables[agent.name], starts[agent.name] = store.load_snapshot(snapshot_id, agent)
    routes: dict[tuple[str, str], list[tuple[Table[Any], int]]] = {}
    for agent in agents:
        for topic in agent.replay_topics:
            for kind in agent.replay_kinds:
                routes.setdefault((topic, kind), []).append(
                    (tables[agent.name], starts[agent.name])
                )
    topics = sorted({topic for topic, _ in routes})
    start = min(starts.values(), default=0)
    result = ReplayResult(tables, start_seq=start)
    if not topics:
        return result
    stop_seq = until.seq if until.seq is not None else journal.end_seq()
    position = start
    until_ts = until.ts_event
    # Per route, resolved once: the kind's decoder, the tables' bound folds and names.
    plans = {
        route: (
            decoder_for(route[1]) or _unknown_kind(route[1]),
            [(table.fold, after, table.agent.name) for table, after in targets],
        )
        for route, targets in routes.items()
    }
    errors = result.errors
    events = 0
    # The plan of the previous row: runs of one kind are the rule (a tick stream, a fill
    # stream), and comparing two short strings is cheaper than hashing them afresh (the
    # rows' strings are new objects) into a tuple for the lookup.
    last_topic = last_kind = ""
    plan = None
    while position < stop_seq:
        rows = journal.scan(position, topics, min(BATCH, stop_seq - position))
        if not rows:
            break
        position = rows[-1][0]
        # The stops are checked per batch, not per row: the row loop is the hot path.
        if position > stop_seq:  # rows of other topics ran past the stop
            rows = [row for row in rows if row[0] <= stop_seq]
        if until_ts is not None:
            rows = [row for row in rows if row[4] <= until_ts]
        events += len(rows)
        for seq, topic, kind, event_id, _ts, payload in rows:
            if kind != last_kind or topic != last_topic:
                plan = plans.get((topic, kind))
                last_topic, last_kind = topic, kind
            if plan is None:
                events -= 1  # a kind no table folds
                continue
            decode, targets = plan
            try:
                event = decode(payload)
            except Exception:
                for _, _, name in targets:
                    errors[name] = errors.get(name, 0) + 1
                continue
            for fold, after, name in targets:
                if seq > after:
                    try:
                        fold(event_id, event)
                    except Exception:  # the live runtime dead-lettered the same record
                        errors[name] = errors.get(name, 0) + 1
        if on_progress is not None:
            on_progress(position)
    result.events = events
    result.end_seq = min(position, stop_seq) if position else 0
    return result


def _unknown_kind(kind: str) -> Callable[[bytes | str], Any]:
    """The decode of a kind this build does not know: every record of it is an error."""

    def refuse(payload: bytes | str) -> Any:
        raise CorruptRecordError(f"unknown kind {kind!r} in the log")

    return refuse

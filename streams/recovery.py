"""Bringing a table back after a restart: the last saved rows, then the log's tail.

A replayable table (fold or decide/evolve) is a function of the log, so the runtime need
not write it at every commit: it saves the rows every so often and when it stops, with
the seq they stand at (``saved_seq``), and a restart folds the recorded events between
that seq and the agent's committed position (``state_seq``) with the same ``Table.fold``
replay uses. Commits stay small however large a table grows.

A process agent's working memory is rebuilt the same way from its *inputs*: ``process``
runs again over the records after ``saved_seq`` up to its position and its outputs,
recorded the first time, are dropped. That holds because a process agent's state is a
function of its inputs in log order; the view may shape its outputs (a mark), never its
state beyond static reference data (an instrument's definition).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from schemas.view import View
from streams.agent import Agent
from streams.codec import decode_payload, fact_id
from streams.sqlite_journal import SqliteJournal
from streams.state import Table
from streams.store import Progress, StateStore

TAIL_BATCH = 5000


@dataclass
class Recovered:
    table: Table[Any]
    progress: Progress
    tail_keys: set[str] = field(default_factory=set)
    """Rows the tail changed: not saved yet, so the next save must write them."""
    tail_seen: list[str] = field(default_factory=list)
    """Event ids the tail folded, likewise."""


def recover(
    journal: SqliteJournal, store: StateStore, agent: Agent[Any], view: View | None = None
) -> Recovered:
    """The agent's table as of its committed position, that position, and what of it
    is not saved yet.

    A process agent needs ``view`` (the runtime's) to run again over its inputs; without
    one its saved rows are returned as they are.
    """
    recovered = Recovered(store.load(agent), store.progress(agent.name))
    if not agent.replayable:
        if view is not None:
            _rerun(journal, store, agent, recovered, view)
        return recovered
    table, progress = recovered.table, recovered.progress
    position, target = store.saved_seq(agent.name), progress.state_seq
    topics, kinds = agent.replay_topics, agent.replay_kinds
    while position < target:
        rows = journal.scan(position, topics, TAIL_BATCH)
        if not rows:
            break
        for seq, _topic, kind, event_id, _ts, payload in rows:
            if seq > target:
                return recovered
            if kind in kinds:
                # A record that raised when it was live was dead-lettered; skip it the same way.
                with contextlib.suppress(Exception):
                    event = decode_payload(kind, payload)
                    key = table.fold(event_id, event)
                    if key is not None:
                        recovered.tail_keys.add(key)
                        recovered.tail_seen.append(fact_id(event_id, event))
        position = rows[-1][0]
    return recovered


def _rerun(
    journal: SqliteJournal, store: StateStore, agent: Agent[Any], recovered: Recovered, view: View
) -> None:
    """Run a process agent again over its inputs after its saved rows; drop the outputs."""
    process = agent.process
    assert process is not None
    table = recovered.table
    position, target = store.saved_seq(agent.name), recovered.progress.input_seq
    while position < target:
        rows = journal.scan(position, agent.inputs, TAIL_BATCH)
        if not rows:
            return
        for seq, _topic, kind, event_id, _ts, payload in rows:
            if seq > target:
                return
            if kind not in agent.kinds or event_id in table.seen:
                continue
            with contextlib.suppress(Exception):  # dead-lettered when it was live
                event = decode_payload(kind, payload)
                fact = fact_id(event_id, event)
                if fact in table.seen:
                    continue
                key = agent.state_key(event)
                table.states[key] = process(table.get(key), event, view)[0]
                table.seen.add(fact)
                recovered.tail_keys.add(key)
                recovered.tail_seen.append(fact)
        position = rows[-1][0]


def recovered_tables(journal: SqliteJournal, agents: list[Agent[Any]]) -> dict[str, Table[Any]]:
    """Every agent's live table, as a restarted runtime would see it."""
    store = StateStore(journal.db)
    return {agent.name: recover(journal, store, agent).table for agent in agents}

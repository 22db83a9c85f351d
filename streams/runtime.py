"""The embedded runtime: runs agents over the SQLite journal.

All agents advance together through the log in global-sequence order, so an agent's
``decide`` sees reference data (latest quotes) exactly as of its input's place in the
log, however the log was batched. For each batch the outputs of every agent, their
changed state rows, the event ids they folded and their new positions commit in one
SQLite transaction: a crash before the commit loses nothing (the batch is read again),
a crash after it repeats nothing (the positions moved with the outputs).

``evolve`` may update a state in place (copy-on-write would make an order book O(n) per
event); a record that raises is therefore handled by throwing the whole batch's memory
away, reloading the last commit and processing the batch again with that record
dead-lettered instead.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from schemas import DeadLetter, InstrumentDefinition, Record
from schemas.view import TopOfBook, View
from streams.agent import Agent
from streams.codec import decode_payload, fact_id, flat_struct
from streams.records import LogRecord, NewRecord, RecordPosition, new_record, output_event_id
from streams.recovery import recover
from streams.sqlite_journal import SqliteJournal
from streams.state import Table, encode_state
from streams.store import Progress, StateStore
from streams.topics import DEADLETTER

RAW_LIMIT = 4096
"""How much of a bad record's payload a dead letter keeps."""

ViewFactory = Callable[[Mapping[str, Table[Any]]], View]


class NoReferenceData:
    """A view with no quotes and no instruments, for agents that never consult one."""

    def mid(self, instrument: str) -> Decimal | None:
        return None

    def top(self, instrument: str) -> TopOfBook | None:
        return None

    def instrument(self, instrument: str) -> InstrumentDefinition | None:
        return None


def dead_letter_for(agent: str, rec: LogRecord, error: BaseException) -> NewRecord:
    letter = DeadLetter(
        origin_topic=rec.topic,
        origin_offset=rec.offset,
        origin=f"{rec.topic}[{rec.partition}]@{rec.offset}",
        agent=agent,
        error=f"{type(error).__name__}: {error}"[:2000],
        raw=rec.payload[:RAW_LIMIT].decode(errors="backslashreplace"),
        ts_event=rec.ts_event,
    )
    return new_record(
        DEADLETTER, letter, event_id=f"dead:{agent}:{rec.event_id}", causation_id=rec.event_id
    )


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is processed.

    A batch allocates a few objects per record that live until it commits (outputs,
    rows, records), and none of them form cycles: reference counting frees them all.
    With the collector on, those survivors made each young collection walk them and
    promoted them to older generations, about a sixth of the CPU of a large batch of
    orders. Cycles made meanwhile (a traceback) wait for the next collection after the
    batch. Process-wide, like the collector itself: a batch on another thread that ends
    first turns it back on early, which costs time only."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(eq=False)
class _Poison(Exception):
    agent: str
    seq: int
    error: BaseException


@dataclass
class _Pending:
    """What one agent did in the current batch, not yet committed."""

    outputs: list[NewRecord] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)


SAVE_EVERY = 50_000
"""Input records between saves of an agent's rows; a restart folds the rest
(streams/recovery.py), so this bounds that tail (a fraction of a second of folding).
Counted in records, not batches: a save encodes every changed row whole, and under
group commit (batches of a few records) a per-batch count made that O(rows) work
recur every few hundred orders."""


class AgentRunner:
    """One agent's table, position and the logic to feed it one record."""

    def __init__(self, journal: SqliteJournal, store: StateStore, agent: Agent[Any]) -> None:
        self.journal = journal
        self.store = store
        self.agent = agent
        self.reload(None)

    def reload(self, view: View | None) -> None:
        """Saved rows plus the log's tail (a process agent's tail needs the view)."""
        recovered = recover(self.journal, self.store, self.agent, view)
        self.table, self.progress = recovered.table, recovered.progress
        # What the log's tail rebuilt is not saved yet: the next save must write it too.
        self.unsaved_keys: set[str] = recovered.tail_keys
        self.unsaved_seen: list[str] = recovered.tail_seen
        self.records_unsaved = 0

    def save(self, progress: Progress) -> None:
        """Write the rows and event ids changed since the last save (inside a transaction)."""
        states = self.table.states
        rows = [(key, encode_state(states[key])) for key in self.unsaved_keys]
        self.store.save(self.agent.name, rows, self.unsaved_seen)
        # A table is rebuilt from its recorded events, a process agent from its inputs.
        saved_at = progress.state_seq if self.agent.replayable else progress.input_seq
        self.store.mark_saved(self.agent.name, saved_at)
        self.unsaved_keys = set()
        self.unsaved_seen = []
        self.records_unsaved = 0

    def wants(self, rec: LogRecord) -> bool:
        return rec.seq > self.progress.input_seq and rec.topic in self.agent.inputs

    def handle(self, rec: LogRecord, view: View, pending: _Pending) -> None:
        agent, table = self.agent, self.table
        if rec.kind not in agent.kinds or rec.event_id in table.seen:
            return
        payload = decode_payload(rec.kind, rec.payload)
        fact = fact_id(rec.event_id, payload)
        if fact in table.seen:
            return
        pending.seen.append(fact)
        if agent.decide is None and agent.process is None:
            key = table.fold(fact, payload)
            assert key is not None
            pending.changed.add(key)
            return
        table.seen.add(fact)
        key = agent.state_key(payload)
        state = table.get(key)
        if agent.process is not None:
            state, events = agent.process(state, payload, view)
            pending.outputs.extend(self._record(rec, i, event) for i, event in enumerate(events))
        else:
            assert agent.decide is not None
            assert agent.evolve is not None
            folded = key in table.states
            for index, event in enumerate(agent.decide(state, payload, view)):
                flat = flat_struct(event)
                out = self._record(rec, index, event, flat)
                if out.topic == agent.output_topic:
                    # Evolve on exactly what replay reads back: the struct the recorded
                    # bytes were encoded from (a flat kind), else their decode.
                    if flat is None:
                        flat = decode_payload(out.kind, out.payload)
                    state = agent.evolve(state, flat)
                    folded = True
                pending.outputs.append(out)
            if not folded:
                return  # nothing recorded for this key: replay would not have a row either
        table.states[key] = state
        pending.changed.add(key)

    def _record(self, cause: LogRecord, index: int, event: Record, flat: Any = None) -> NewRecord:
        return new_record(
            self.agent.topic_for(event.KIND),
            event,
            event_id=output_event_id(self.agent.name, cause.event_id, index, event),
            causation_id=cause.event_id,
            correlation_id=cause.correlation_id or cause.event_id,
            flat=flat,
        )


@dataclass(frozen=True, slots=True)
class CatchupReport:
    processed: int
    dead_letters: int
    end_seq: int


class EmbeddedRuntime:
    """Runs a set of agents in lock-step until all have consumed the whole journal."""

    def __init__(
        self,
        journal: SqliteJournal,
        agents: Sequence[Agent[Any]],
        view_factory: ViewFactory | None = None,
        batch_size: int = 2000,
    ) -> None:
        self.journal = journal
        self.store = StateStore(journal.db)
        self.batch_size = batch_size
        self.runners = [AgentRunner(journal, self.store, agent) for agent in agents]
        self.topics = sorted({topic for agent in agents for topic in agent.inputs})
        self._view_factory = view_factory
        self._caught_up_at: int | None = None
        self._make_view()
        self._rerun_process_agents()

    def _make_view(self) -> None:
        tables = {runner.agent.name: runner.table for runner in self.runners}
        self.view: View = self._view_factory(tables) if self._view_factory else NoReferenceData()

    def tables(self) -> dict[str, Table[Any]]:
        return {runner.agent.name: runner.table for runner in self.runners}

    def step(self) -> tuple[int, int]:
        """Process one batch; returns (records read, dead letters written)."""
        if self._caught_up_at is not None and self._caught_up_at == self.journal.end_seq():
            return 0, 0
        records = self.journal.read_since(self._cursor(), self.topics, self.batch_size)
        if not records:
            return 0, 0
        try:
            with collector_paused(), self.journal.transaction():
                read, dead, updates = self._step_in_transaction(records)
        except BaseException:
            self._reload()
            raise
        self._advance(updates)
        return read, dead

    def submit(self, records: Sequence[NewRecord]) -> list[RecordPosition]:
        """Append ``records`` and process them in the same transaction (group commit).

        The records, every decision on them and everything those lead to (outputs other
        agents read: a fill the venue made of an accepted order, its positions and PnL)
        commit together or not at all: a caller (the gateway, a benchmark) answers once,
        after one commit. Whatever was already in the log is processed first, in its own
        transactions.
        """
        self.catchup()
        try:
            with collector_paused(), self.journal.transaction():
                logged = self.journal.append_logged(records)
                if self.journal.changed_elsewhere:  # someone appended since the catch-up
                    read = self.journal.read_since(self._cursor(), self.topics, self.batch_size)
                else:  # caught up: what a read would return is what was just appended
                    topics = set(self.topics)
                    read = [rec for rec in logged if rec.topic in topics][: self.batch_size]
                while read:
                    # Positions move before the commit: a failure reloads them (below).
                    self._advance(self._step_in_transaction(read)[2])
                    if self._caught_up_at is not None:
                        break
                    # A batch larger than batch_size, or outputs that feed back.
                    read = self.journal.read_since(self._cursor(), self.topics, self.batch_size)
        except BaseException:
            self._reload()
            raise
        return [RecordPosition(rec.topic, rec.partition, rec.offset, rec.seq) for rec in logged]

    def _cursor(self) -> int:
        """The lowest input position of all agents: where the next read starts."""
        return min((r.progress.input_seq for r in self.runners), default=0)

    def _step_in_transaction(
        self, records: Sequence[LogRecord]
    ) -> tuple[int, int, list[tuple[AgentRunner, Progress]]]:
        poisoned: dict[tuple[str, int], BaseException] = {}
        while True:
            try:
                pending = self._process(records, poisoned)
                break
            except _Poison as poison:
                poisoned[(poison.agent, poison.seq)] = poison.error
                self._reload()
        updates = self._write(records, pending)
        self._caught_up_at = None
        fed_back = any(
            out.topic in self.topics for work in pending.values() for out in work.outputs
        )
        if len(records) < self.batch_size and not fed_back:
            # The read reached the end of the log and nothing we wrote is our input:
            # caught up, unless someone appends after this seq.
            self._caught_up_at = self.journal.end_seq()
        return len(records), len(poisoned), updates

    @staticmethod
    def _advance(updates: Sequence[tuple[AgentRunner, Progress]]) -> None:
        """After the commit: the runners' positions move with what was written."""
        for runner, progress in updates:
            runner.progress = progress

    def catchup(self, on_batch: Callable[[int], None] | None = None) -> CatchupReport:
        processed = dead = 0
        while True:
            count, poisoned = self.step()
            if not count:
                return CatchupReport(processed, dead, self.journal.end_seq())
            processed += count
            dead += poisoned
            if on_batch is not None:
                on_batch(count)

    def flush(self) -> None:
        """Save every table's unsaved rows now (a restart then has no tail to fold)."""
        waiting = [r for r in self.runners if r.unsaved_keys or r.unsaved_seen]
        if not waiting:
            return
        with self.journal.transaction():
            for runner in waiting:
                runner.save(runner.progress)

    def _reload(self) -> None:
        self._caught_up_at = None  # it may name a seq that was rolled back
        for runner in self.runners:
            runner.reload(None)
        self._make_view()
        self._rerun_process_agents()

    def _rerun_process_agents(self) -> None:
        """Process agents recover through the view, which exists once the tables do."""
        for runner in self.runners:
            if not runner.agent.replayable:
                runner.reload(self.view)

    def _process(
        self, records: Sequence[LogRecord], poisoned: Mapping[tuple[str, int], BaseException]
    ) -> dict[str, _Pending]:
        pending = {runner.agent.name: _Pending() for runner in self.runners}
        for rec in records:
            for runner in self.runners:
                if not runner.wants(rec):
                    continue
                name = runner.agent.name
                error = poisoned.get((name, rec.seq))
                if error is not None:
                    pending[name].outputs.append(dead_letter_for(name, rec, error))
                    continue
                try:
                    runner.handle(rec, self.view, pending[name])
                except Exception as failure:  # a bug or a corrupt record: park it
                    raise _Poison(name, rec.seq, failure) from failure
        return pending

    def _write(
        self, records: Sequence[LogRecord], pending: Mapping[str, _Pending]
    ) -> list[tuple[AgentRunner, Progress]]:
        """Outputs, state and positions of one batch, inside the open transaction."""
        last = records[-1].seq
        if self.journal.changed_elsewhere:  # else the stored positions are ours
            stored = self.store.all_progress()
            for runner in self.runners:
                if stored.get(runner.agent.name, Progress(0, 0)) != runner.progress:
                    raise RuntimeError(
                        f"agent {runner.agent.name} was moved on by another process; "
                        "run one runtime per data dir"
                    )
        updates = []
        for runner in self.runners:
            if runner.progress.input_seq >= last:
                continue
            work = pending[runner.agent.name]
            state_seq = last if runner.agent.output_topic is None else runner.progress.state_seq
            if work.outputs:
                placed = self.journal.append_in_transaction(work.outputs)
                for out, pos in zip(work.outputs, placed, strict=True):
                    if out.topic == runner.agent.output_topic:
                        state_seq = pos.seq
            runner.unsaved_keys |= work.changed
            runner.unsaved_seen.extend(work.seen)
            runner.records_unsaved += len(records)
            progress = Progress(last, state_seq)
            if runner.records_unsaved >= SAVE_EVERY:
                runner.save(progress)
            updates.append((runner, progress))
        self.store.save_progress([(runner.agent.name, progress) for runner, progress in updates])
        return updates

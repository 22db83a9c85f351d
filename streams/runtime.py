"""The embedded runtime: runs agents over the SQLite journal.

For each agent it reads the inputs after its position, runs decide/evolve, and commits
the outputs, the changed state rows, the event ids it folded and its new position in
one SQLite transaction. A crash before the commit loses nothing (the batch is read again),
a crash after it repeats nothing (the position moved with the outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from schemas import DeadLetter, InstrumentDefinition
from schemas.view import View

from streams.agent import Agent
from streams.codec import decode_payload
from streams.records import LogRecord, NewRecord, new_record
from streams.sqlite_journal import SqliteJournal
from streams.state import Table, encode_state
from streams.store import Progress, StateStore
from streams.topics import DEADLETTER

RAW_LIMIT = 4096
"""How much of a bad record's payload a dead letter keeps."""


class NoReferenceData:
    """A view with no quotes and no instruments, for agents that never consult one."""

    def mid(self, instrument: str) -> Decimal | None:
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


class _StaleProgress(Exception):
    """Another process moved this agent on; reload and read again."""


class AgentRunner:
    def __init__(
        self, journal: SqliteJournal, store: StateStore, agent: Agent[Any], view: View
    ) -> None:
        self.journal = journal
        self.store = store
        self.agent = agent
        self.view = view
        self._reload()

    def _reload(self) -> None:
        self.table: Table[Any] = self.store.load(self.agent)
        self.progress = self.store.progress(self.agent.name)

    def step(self, limit: int) -> int:
        """Process up to ``limit`` input records in one transaction; returns how many."""
        records = self.journal.read_since(self.progress.input_seq, self.agent.inputs, limit)
        if not records:
            return 0
        try:
            outputs, changed, seen = self._process(records)
            with self.journal.transaction():
                if self.store.progress(self.agent.name) != self.progress:
                    raise _StaleProgress
                placed = self.journal.append_in_transaction(outputs)
                state_seq = self._state_seq(records, outputs, placed)
                progress = Progress(records[-1].seq, state_seq)
                rows = [(key, encode_state(self.table.states[key])) for key in changed]
                self.store.save(self.agent.name, rows, seen, progress)
        except _StaleProgress:
            self._reload()
            return 0
        except BaseException:
            self._reload()
            raise
        self.progress = progress
        return len(records)

    def _state_seq(
        self, records: Sequence[LogRecord], outputs: Sequence[NewRecord], placed: Sequence[Any]
    ) -> int:
        if self.agent.output_topic is None:
            return records[-1].seq
        own = [pos.seq for rec, pos in zip(outputs, placed, strict=True) if rec.topic == self.agent.output_topic]
        return own[-1] if own else self.progress.state_seq

    def _process(
        self, records: Sequence[LogRecord]
    ) -> tuple[list[NewRecord], set[str], list[str]]:
        agent, table = self.agent, self.table
        outputs: list[NewRecord] = []
        changed: set[str] = set()
        seen: list[str] = []
        for rec in records:
            if rec.kind not in agent.kinds or rec.event_id in table.seen:
                continue
            try:
                payload = decode_payload(rec.kind, rec.payload)
                if agent.decide is None:
                    key = table.fold(rec.event_id, payload)
                    assert key is not None
                else:
                    key, decided = self._decide(rec, payload)
                    outputs.extend(decided)
            except Exception as error:  # a bug or a corrupt record: park it and go on
                outputs.append(dead_letter_for(agent.name, rec, error))
                continue
            changed.add(key)
            seen.append(rec.event_id)
        return outputs, changed, seen

    def _decide(self, rec: LogRecord, payload: Any) -> tuple[str, list[NewRecord]]:
        agent, table = self.agent, self.table
        assert agent.decide is not None and agent.output_topic is not None
        key = agent.state_key(payload)
        state = table.get(key)
        decided = []
        for index, event in enumerate(agent.decide(state, payload, self.view)):
            out = new_record(
                agent.output_topic,
                event,
                event_id=f"{agent.name}:{rec.event_id}:{index}",
                causation_id=rec.event_id,
                correlation_id=rec.correlation_id or rec.event_id,
            )
            # Evolve on the recorded bytes, exactly what replay will read back.
            state = agent.evolve(state, decode_payload(out.kind, out.payload))
            decided.append(out)
        table.states[key] = state
        table.seen.add(rec.event_id)
        return key, decided


@dataclass(frozen=True, slots=True)
class CatchupReport:
    processed: dict[str, int]
    end_seq: int


class EmbeddedRuntime:
    """Runs a set of agents until each has consumed everything in the journal."""

    def __init__(
        self,
        journal: SqliteJournal,
        agents: Sequence[Agent[Any]],
        view: View | None = None,
        batch_size: int = 2000,
    ) -> None:
        self.journal = journal
        self.store = StateStore(journal.db)
        self.batch_size = batch_size
        self.runners = [
            AgentRunner(journal, self.store, agent, view or NoReferenceData()) for agent in agents
        ]

    def catchup(self, on_batch: Callable[[str, int], None] | None = None) -> CatchupReport:
        processed = {runner.agent.name: 0 for runner in self.runners}
        progressed = True
        while progressed:
            progressed = False
            for runner in self.runners:
                while count := runner.step(self.batch_size):
                    processed[runner.agent.name] += count
                    progressed = True
                    if on_batch is not None:
                        on_batch(runner.agent.name, count)
        return CatchupReport(processed, self.journal.end_seq())

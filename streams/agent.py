"""The agent contract (ARCHITECTURE.md).

An agent declares its inputs, the kinds it handles, a key and a state type, and one of
three shapes:

* fold: ``evolve(state, input) -> state``. Its input is the event (positions folding
  fills). Replay folds the same inputs.
* decide/evolve: ``decide(state, input, view) -> [events]`` runs live, once; every event
  is recorded, and ``evolve(state, event) -> state`` folds the recorded events of
  ``output_topic``. Replay runs ``evolve`` only, over those records (the OMS).
* process: ``process(state, input, view) -> (state, [events])``. An operator whose state
  is its own working memory (the paper venue's book, a TCA agent's pending markouts),
  kept by the runtime for crash recovery but not a table: replay skips it and rebuilds
  the tables that fold its recorded outputs.

All functions are pure: no clock, no I/O, no randomness. ``evolve`` and ``process`` may
update the state they are given in place and return it (an order book copied per event
would cost O(n)); they must finish all checks before the first change. ``decide``
never changes its state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from schemas import Record
from schemas.view import View

S = TypeVar("S", bound=msgspec.Struct)

Decide = Callable[[S, Any, View], Sequence[Record]]
Evolve = Callable[[S, Any], S]
Process = Callable[[S, Any, View], tuple[S, Sequence[Record]]]


@dataclass(frozen=True)
class Agent(Generic[S]):
    name: str
    """The agent's name, which is also the name of its table."""
    inputs: tuple[str, ...]
    kinds: frozenset[str]
    """Input kinds it handles; every other kind on its inputs is skipped on purpose."""
    state_type: type[S]
    initial: Callable[[str], S]
    """The state of a key before its first event."""
    state_key: Callable[[Any], str]
    """The table key of an input (and, for agents that decide, of each output)."""
    evolve: Evolve[S] | None = None
    decide: Decide[S] | None = None
    process: Process[S] | None = None
    output_topic: str | None = None
    routes: Mapping[str, str] = field(default_factory=dict)
    """Output kinds that go to another topic than ``output_topic`` (not folded)."""
    output_kinds: frozenset[str] = field(default_factory=frozenset)
    """Kinds ``evolve`` folds when the agent decides (its recorded outputs)."""
    present: Callable[[str, S, Mapping[str, Any]], dict[str, Any]] | None = None
    """A row for ``tapeline query``; the mapping holds every table's states by name."""

    def __post_init__(self) -> None:
        shapes = (
            self.evolve is not None and self.decide is None and self.process is None,
            self.evolve is not None and self.decide is not None and self.process is None,
            self.evolve is None and self.decide is None and self.process is not None,
        )
        if sum(shapes) != 1:
            raise ValueError(f"agent {self.name}: give evolve, decide+evolve, or process")
        if (self.decide or self.process) and self.output_topic is None:
            raise ValueError(f"agent {self.name}: an agent that emits needs output_topic")

    @property
    def replayable(self) -> bool:
        """True for tables that replay rebuilds; False for process agents."""
        return self.process is None

    @property
    def replay_topics(self) -> tuple[str, ...]:
        if self.decide is not None and self.output_topic is not None:
            return (self.output_topic,)
        return self.inputs

    @property
    def replay_kinds(self) -> frozenset[str]:
        return self.output_kinds if self.decide else self.kinds

    def topic_for(self, kind: str) -> str:
        return self.routes.get(kind) or self.output_topic or ""

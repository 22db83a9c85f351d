"""The agent contract (ARCHITECTURE.md): declared inputs, a key, a state type, and
two pure functions, ``decide`` and ``evolve``.

An agent whose input is itself the event to fold (positions folding fills) has no
``decide``. Replay runs ``evolve`` only, over the topics in ``replay_topics``.
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
    evolve: Evolve[S]
    decide: Decide[S] | None = None
    output_topic: str | None = None
    output_kinds: frozenset[str] = field(default_factory=frozenset)
    """Kinds ``evolve`` folds when the agent decides (its recorded outputs)."""
    present: Callable[[str, S, Mapping[str, Any]], dict[str, Any]] | None = None
    """A row for ``tapeline query``; the mapping holds other tables' states by name."""

    def __post_init__(self) -> None:
        if (self.decide is None) != (self.output_topic is None):
            raise ValueError(f"agent {self.name}: decide and output_topic go together")

    @property
    def replay_topics(self) -> tuple[str, ...]:
        return (self.output_topic,) if self.output_topic else self.inputs

    @property
    def replay_kinds(self) -> frozenset[str]:
        return self.output_kinds if self.decide else self.kinds

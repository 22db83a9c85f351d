"""State tables: canonical encoding, the per-table hash, and the in-memory fold.

``Table`` is shared by the live runtime and by replay, so both fold with the same code:
dedup by event id, the key function, ``evolve``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Generic

import msgspec

from streams.agent import Agent, Evolve, S
from streams.codec import NATURAL_IDS

_encoder = msgspec.json.Encoder(order="deterministic", decimal_format="string")


def encode_state(state: msgspec.Struct) -> bytes:
    """The canonical bytes of a state row: sorted keys, decimals as strings."""
    return _encoder.encode(state)


def table_hash(rows: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over ``key NUL value LF`` for rows sorted by key."""
    digest = hashlib.sha256()
    for key, value in rows:
        digest.update(key.encode())
        digest.update(b"\0")
        digest.update(value)
        digest.update(b"\n")
    return digest.hexdigest()


class Table(Generic[S]):
    """One agent's table in memory: states by key and the event ids already folded."""

    def __init__(self, agent: Agent[S]) -> None:
        self.agent = agent
        self.states: dict[str, S] = {}
        self.seen: set[str] = set()
        self._decoder = msgspec.json.Decoder(agent.state_type)
        self._key = agent.state_key
        self._initial = agent.initial
        self._evolve: Evolve[S] = agent.evolve or _no_evolve(agent.name)
        # Resolved once: most tables fold kinds without an identity of their own, and
        # then the fact id is the event id with no lookup per event; a table whose every
        # kind has the same identity (positions: fills only) calls it with no lookup either.
        kinds = _folded_kinds(agent)
        natural = {kind: NATURAL_IDS[kind] for kind in kinds if kind in NATURAL_IDS}
        self._natural_ids = natural or None
        rules = set(natural.values())
        self._natural_of_every_kind = (
            rules.pop() if len(natural) == len(kinds) and len(rules) == 1 else None
        )

    def get(self, key: str) -> S:
        state = self.states.get(key)
        return self._initial(key) if state is None else state

    def fold(self, event_id: str, event: Any) -> str | None:
        """Fold one recorded event; returns the key it changed, or None for a repeat
        (the same ``fact_id``: the same event id, or the same fill however it came)."""
        natural = self._natural_of_every_kind
        if natural is not None:
            event_id = natural(event)
        elif (natural_ids := self._natural_ids) is not None:
            natural = natural_ids.get(event.kind)
            if natural is not None:
                event_id = natural(event)
        seen = self.seen
        if event_id in seen:
            return None
        key = self._key(event)
        states = self.states
        state = states.get(key)
        states[key] = self._evolve(self._initial(key) if state is None else state, event)
        seen.add(event_id)
        return key

    def load_row(self, key: str, value: bytes) -> None:
        self.states[key] = self._decoder.decode(value)

    def encoded_rows(self) -> list[tuple[str, bytes]]:
        return [(key, encode_state(self.states[key])) for key in sorted(self.states)]

    def hash(self) -> str:
        return table_hash(self.encoded_rows())


def decode_state(agent: Agent[Any], value: bytes) -> Any:
    return msgspec.json.decode(value, type=agent.state_type)


def _folded_kinds(agent: Agent[Any]) -> frozenset[str]:
    """Every kind this table may fold: its inputs live, its recorded outputs on replay."""
    return agent.kinds | agent.replay_kinds


def _no_evolve(name: str) -> Evolve[Any]:
    def refuse(state: Any, event: Any) -> Any:
        raise AssertionError(f"{name} has no evolve")

    return refuse

"""Where the pusher reads feature vectors, and where it keeps its place.

``streams/topics.py`` has no ``features`` topic yet, so the journal source reads by kind
(``feature_vector``), which only the features agent writes; once the topic is
registered, reading by kind still returns exactly the records of that topic. The place
is the global journal seq in ``consumer_offsets`` (consumer ``feature-push``, topic
``features``, partition -1), like sink-ticks.
"""

from __future__ import annotations

from typing import Protocol

from streams.sqlite_journal import SqliteJournal

CONSUMER = "feature-push"
FEATURES_TOPIC = "features"

SeqPayload = tuple[int, str]


class FeatureSource(Protocol):
    """Feature-vector payloads in log order, and a checkpoint that survives restarts."""

    def read_after(self, after_seq: int, limit: int) -> list[SeqPayload]:
        """Up to ``limit`` (seq, payload JSON) after ``after_seq``, ascending seq."""
        ...

    def checkpoint(self) -> int:
        """The last seq pushed (0: none)."""
        ...

    def save_checkpoint(self, last_seq: int) -> None: ...


class JournalFeatureSource:
    """``feature_vector`` records of a SQLite journal, checkpointed in the same file."""

    def __init__(self, journal: SqliteJournal, consumer: str = CONSUMER) -> None:
        self.journal = journal
        self.consumer = consumer

    def read_after(self, after_seq: int, limit: int) -> list[SeqPayload]:
        # seq is the primary key: a range scan from the checkpoint, filtered by kind.
        rows = self.journal.db.execute(
            "SELECT seq, payload FROM journal WHERE seq > ? AND kind = 'feature_vector' "
            "ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [(int(seq), str(payload)) for seq, payload in rows]

    def checkpoint(self) -> int:
        return self.journal.sink_position(self.consumer, FEATURES_TOPIC)

    def save_checkpoint(self, last_seq: int) -> None:
        self.journal.save_sink_position(self.consumer, FEATURES_TOPIC, last_seq)

"""feature-push: feature vectors from the journal into Feast (Valkey online, parquet offline).

A consumer with its own checkpoint, like sink-ticks: each batch after the checkpoint is
decoded, turned into one DataFrame and pushed with the Feast SDK
(``store.push("features_push", df, to=PushMode.ONLINE_AND_OFFLINE)``); only once the push
has returned does the checkpoint move. So:

* Valkey down: the push fails at the online write, which Feast does before the offline
  one, so nothing of the batch is stored; the checkpoint stays, ``run_until_caught_up``
  backs off and resumes from it. The features agent keeps appending to the journal
  meanwhile; nothing is lost, the backlog is pushed when Valkey is back.
* a crash between push and checkpoint pushes the batch again: the online store keeps a
  value only if its event time is newer than the stored one (so the resend changes
  nothing) and the offline file gets identical rows twice, which the point-in-time join
  collapses.
* a payload that does not decode stops the push at that record (FeatureRecordError); it
  is never skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from agents.feature_store.frame import decode_row, to_frame
from agents.feature_store.source import FeatureSource, JournalFeatureSource
from agents.feature_store.store import (
    PUSH_SOURCE,
    FeastSettings,
    ensure_applied,
    load_store,
    require_feast,
)
from schemas import TapelineError
from streams.backoff import Backoff
from streams.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from feast import FeatureStore

DEFAULT_BATCH = 5_000
"""Records per push. Feast's file offline store rewrites the whole parquet file on each
push, so fewer, larger pushes are much cheaper than many small ones."""


class ValkeyUnavailableError(TapelineError):
    """The online store did not take the push; retry later, the checkpoint has not moved."""


class PushCounters(msgspec.Struct, kw_only=True):
    records_pushed: int = 0
    """Feature vectors Feast acknowledged, resent ones included."""
    pushes: int = 0
    retries: int = 0
    last_error: str | None = None


class FeaturePusher:
    """Pushes ``feature_vector`` records from the journal to the Feast feature store.

    ``journal`` is a SqliteJournal (read by kind, checkpoint in its ``consumer_offsets``)
    or any FeatureSource. The definitions are applied on construction (idempotent).
    """

    def __init__(
        self,
        journal: SqliteJournal | FeatureSource,
        repo_path: FeastSettings | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source: FeatureSource = (
            JournalFeatureSource(journal) if isinstance(journal, SqliteJournal) else journal
        )
        self.repo = (repo_path or FeastSettings()).resolved()
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.counters = PushCounters()
        self._sleep = sleep
        feast = require_feast()
        self._push_mode = feast.data_source.PushMode.ONLINE_AND_OFFLINE
        import redis.exceptions

        self._outages: tuple[type[BaseException], ...] = (
            redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError,
        )
        self.store: FeatureStore = load_store(self.repo)
        ensure_applied(self.store, self.repo)

    def checkpoint(self) -> int:
        """The last journal seq whose vector the feature store has taken (0: none)."""
        return self.source.checkpoint()

    def run_once(self, limit: int | None = None) -> int:
        """Push the next batch; the number of records it pushed (0: caught up).

        Raises ValkeyUnavailableError (retry later) or FeatureRecordError (fix first);
        either way the checkpoint has not moved.
        """
        batch = self.source.read_after(self.source.checkpoint(), limit or self.batch_size)
        if not batch:
            return 0
        frame = to_frame([decode_row(seq, payload) for seq, payload in batch])
        try:
            self.store.push(PUSH_SOURCE, frame, to=self._push_mode)
        except self._outages as error:
            message = f"the online store at {self.repo.valkey} did not take the push: {error}"
            self.counters.last_error = message
            raise ValkeyUnavailableError(message) from None
        self.source.save_checkpoint(batch[-1][0])
        counters = self.counters
        counters.records_pushed += len(batch)
        counters.pushes += 1
        counters.last_error = None
        return len(batch)

    def run_until_caught_up(self) -> PushCounters:
        """Push until no vector is left; back off while Valkey is down."""
        self.backoff.run(self.run_once, ValkeyUnavailableError, self._retried, self._sleep)
        return self.counters

    def _retried(self) -> None:
        self.counters.retries += 1

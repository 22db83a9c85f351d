"""Moves the journal's WAL into the main file on a thread of its own.

SQLite's automatic checkpoint runs inside whichever COMMIT crosses the threshold, and in
``synchronous=NORMAL`` that is where the fsync happens: one order in a few hundred would
wait milliseconds for it. Here a separate connection checkpoints PASSIVE (never blocking
the writer) every ``interval`` seconds, so commits only ever append to the WAL.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path


class Checkpointer:
    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # An error means the journal is closing or gone: the thread just ends.
        with contextlib.closing(db), contextlib.suppress(sqlite3.Error):
            while not self._stop.wait(self._interval):
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

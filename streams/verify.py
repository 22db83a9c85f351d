"""Walk the journal's hash chain and name the first record that does not verify."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.chain import GENESIS, record_hash
from streams.sqlite_journal import SqliteJournal


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    partitions: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    journal: SqliteJournal,
    on_progress: Callable[[int], None] | None = None,
    max_problems: int = 20,
) -> ChainReport:
    """Recompute every hash; report edits, deletions, insertions and a cut-off tail.

    Each problem names the record by topic, partition, offset and global seq. Streams the
    journal in partition order, so memory stays flat however long it is.
    """
    problems: list[str] = []
    checked = 0
    current: tuple[str, int] | None = None
    expected_offset = 0
    prev = GENESIS
    ends: dict[tuple[str, int], tuple[int, bytes]] = {}
    cursor = journal.db.execute(
        "SELECT seq, topic, partition, offset, key, kind, schema_version, event_id, ts_event, "
        "ts_ingest, causation_id, correlation_id, payload, hash FROM journal "
        "ORDER BY topic, partition, offset"
    )
    broken: set[tuple[str, int]] = set()
    for row in cursor:
        seq, topic, part, off, key, kind, ver, eid, ts_e, ts_i, cause, corr, payload, stored = row
        checked += 1
        if on_progress is not None and checked % 10_000 == 0:
            on_progress(checked)
        if (topic, part) != current:
            if current is not None:
                ends[current] = (expected_offset, prev)
            current = (topic, part)
            expected_offset = 0
            prev = GENESIS
        if (topic, part) in broken:
            continue
        where = f"{topic}[{part}] offset {off} (seq {seq})"
        if off != expected_offset:
            what = "missing (deleted)" if off > expected_offset else "duplicated (inserted)"
            problems.append(
                f"{topic}[{part}] offset {expected_offset}: record {what}; next is {where}"
            )
            broken.add((topic, part))
            continue
        digest = record_hash(
            prev, topic, part, off, key, kind, ver, eid, ts_e, ts_i, cause, corr,
            str(payload).encode(),
        )  # fmt: skip
        if digest != bytes(stored):
            problems.append(f"{where}: hash mismatch (record modified, inserted or reordered)")
            broken.add((topic, part))
            continue
        prev = digest
        expected_offset += 1
    if current is not None:
        ends[current] = (expected_offset, prev)
    for topic, part, next_offset, last_hash in journal.db.execute(
        "SELECT topic, partition, next_offset, last_hash FROM heads ORDER BY topic, partition"
    ):
        if (topic, part) in broken:
            continue
        seen_end, seen_hash = ends.get((topic, part), (0, GENESIS))
        if seen_end != next_offset or seen_hash != bytes(last_hash):
            problems.append(
                f"{topic}[{part}]: the chain ends at offset {seen_end} but the head says "
                f"{next_offset} (records deleted from the tail, or heads edited)"
            )
    for topic, part in sorted(set(ends) - broken):
        known = journal.db.execute(
            "SELECT 1 FROM heads WHERE topic = ? AND partition = ?", (topic, part)
        ).fetchone()
        if known is None:
            problems.append(f"{topic}[{part}]: records without a head (partition inserted)")
    return ChainReport(checked, len(ends), tuple(problems[:max_problems]))

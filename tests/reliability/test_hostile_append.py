"""Hostile lines at `tapeline log append`: every line offered is either kept or dead-lettered.

Lines are valid fills, fills with one field made hostile, arbitrary JSON and arbitrary
bytes. Counted from the journal itself: records added to the topic plus dead letters
added equal the non-blank lines offered, and the exit status says whether any was bad.
Nothing but ``typer.Exit(1)`` may escape.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.cli.log_cmd import append
from streams.sqlite_journal import SqliteJournal
from streams.topics import DEADLETTER, EXEC_REPORTS
from tests import factories
from tests.reliability import ledger

FILL: dict[str, Any] = json.loads(factories.fill().model_dump_json())
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_HOSTILE_VALUE = st.one_of(
    _JSON,
    st.sampled_from(
        ["-1", "0", "1e30", "NaN", "9" * 400, "x" * 5000, "\u0000", "sell ", "ACC-1\n"]
    ),
)


@st.composite
def _fill_line(draw: st.DrawFn) -> bytes:
    data = dict(FILL, exec_id=f"X-{draw(st.integers(0, 10**9))}")
    if draw(st.booleans()):
        data[draw(st.sampled_from([*FILL, "extra"]))] = draw(_HOSTILE_VALUE)
    if draw(st.booleans()) and len(data) > 1:
        data.pop(draw(st.sampled_from(sorted(data))))
    return json.dumps(data).encode()


_LINE = st.one_of(
    _fill_line(),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=120),
    st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
).map(lambda line: line.replace(b"\n", b" ").replace(b"\r", b" "))


def _append(source: Path, data_dir: Path) -> int:
    """The command's exit status; any exception but typer.Exit fails the test."""
    try:
        append(file=source, topic=EXEC_REPORTS, data_dir=data_dir)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    return 0


def _count(data_dir: Path, topic: str) -> int:
    if not (data_dir / "journal.sqlite").exists():
        return 0
    journal = SqliteJournal.in_dir(data_dir)
    count = journal.db.execute("SELECT count(*) FROM journal WHERE topic = ?", (topic,)).fetchone()
    journal.close_now()
    return int(count[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=12))
def test_every_offered_line_is_accepted_or_dead_lettered(lines: list[bytes]) -> None:
    offered = sum(1 for line in lines if line.strip())
    ledger.add(ledger.HOSTILE, offered)
    with tempfile.TemporaryDirectory() as folder:
        data_dir, source = Path(folder) / "data", Path(folder) / "lines.jsonl"
        source.write_bytes(b"\n".join(lines) + b"\n")
        status = _append(source, data_dir)
        accepted, rejected = _count(data_dir, EXEC_REPORTS), _count(data_dir, DEADLETTER)
    lost = offered - accepted - rejected
    ledger.add(ledger.LOST, abs(lost))
    assert lost == 0, (offered, accepted, rejected)
    assert status == (1 if rejected else 0)

"""The runtime turns the cyclic garbage collector off for a batch, and back on after it,
whether the batch commits or raises; a collector the caller turned off stays off."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from agents.registry import Config, embedded_runtime
from streams.records import LogRecord, NewRecord, new_record
from streams.runtime import collector_paused
from streams.sqlite_journal import SqliteJournal
from streams.topics import MD_TICKS, ORDERS_COMMANDS
from tests import factories


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    if not was_on:
        gc.disable()


def test_off_inside_on_after(collector_on: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_exception(collector_on: None) -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failed batch")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(collector_on: None) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_submitted_batch_runs_with_the_collector_off(
    tmp_path: Path, collector_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SqliteJournal.in_dir(tmp_path)
    runtime = embedded_runtime(journal, Config())
    seen: list[bool] = []
    append = journal.append_logged

    def append_noting_the_collector(records: Sequence[NewRecord]) -> list[LogRecord]:
        seen.append(gc.isenabled())
        return append(records)

    monkeypatch.setattr(journal, "append_logged", append_noting_the_collector)
    runtime.submit([new_record(MD_TICKS, factories.quote())])
    runtime.submit([new_record(ORDERS_COMMANDS, factories.submit(qty="0.001"))])
    assert seen == [False, False]
    assert gc.isenabled()
    journal.close_now()

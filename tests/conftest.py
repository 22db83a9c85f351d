"""Shared fixtures: a fresh journal per test, and the shared market data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.sqlite_journal import SqliteJournal

REPO = Path(__file__).resolve().parents[1]
MARKET_DATA = REPO.parent / "shared" / "data" / "market"


@pytest.fixture
def market_data() -> Path:
    """``../shared/data/market`` beside the repository (never copied into it)."""
    if not MARKET_DATA.is_dir():
        raise FileNotFoundError(f"the shared market data is missing: {MARKET_DATA}")
    return MARKET_DATA


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    log = SqliteJournal.in_dir(tmp_path)
    yield log
    log.close_now()

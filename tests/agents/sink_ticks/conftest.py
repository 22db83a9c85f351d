"""Fixtures for the sink tests: a real QuestDB (started by `deploy/up questdb`), unique
table names per test, and a journal holding the shared Binance session's ticks."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.normalizer import Normalizer
from agents.sink_ticks import Endpoint, QuestDbUnavailable, TickTables, conf_from_env
from schemas import Quote, Trade
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from tests.conftest import MARKET_DATA, REPO

DEFAULT_CONF = "http::addr=127.0.0.1:9000;"
BTC_TRADES = "binance-futures_trades_BTCUSDT.tardis.csv"
BTC_QUOTES = "binance-futures_quotes_BTCUSDT.tardis.csv"
WAL_POLLS = 600
"""How many times (every 50 ms) to look for QuestDB to have applied its WAL: 30 s."""


def deploy(action: str) -> None:
    """``deploy/up questdb`` or ``deploy/down questdb``, as an operator would run it."""
    done = subprocess.run(
        [str(REPO / "deploy" / action), "questdb"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"deploy/{action} questdb failed:\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def questdb_conf() -> str:
    """The conf of a running QuestDB; fails (never skips) when none answers."""
    conf = conf_from_env() or DEFAULT_CONF
    try:
        Endpoint.from_conf(conf).exec("select 1")
    except QuestDbUnavailable as error:
        pytest.fail(
            f"these tests need a real QuestDB: {error}. Start it with `deploy/up questdb` "
            "(or point $TAPELINE_QUESTDB at one)",
            pytrace=False,
        )
    return conf


@pytest.fixture
def endpoint(questdb_conf: str) -> Endpoint:
    return Endpoint.from_conf(questdb_conf)


@pytest.fixture
def tables(endpoint: Endpoint) -> Iterator[TickTables]:
    """Table names no other test uses; dropped afterwards."""
    names = TickTables(f"test_{uuid.uuid4().hex[:10]}_")
    yield names
    for table in (names.trades, names.quotes):
        try:
            endpoint.exec(f"DROP TABLE IF EXISTS '{table}'")
        except QuestDbUnavailable:
            deploy("up")
            endpoint.exec(f"DROP TABLE IF EXISTS '{table}'")


@pytest.fixture(scope="session")
def session_ticks() -> list[Trade | Quote]:
    """The shared Binance futures session, normalized: 9,999 trades and 9,999 quotes."""
    normalizer = Normalizer()
    items = normalizer.feed_tardis_session(MARKET_DATA / BTC_TRADES, MARKET_DATA / BTC_QUOTES)
    return [item for item in items if isinstance(item, Trade | Quote)]


def append_ticks(journal: SqliteJournal, ticks: list[Trade | Quote] | list[Trade]) -> None:
    with journal.transaction():
        journal.append_in_transaction([new_record("md.ticks", tick) for tick in ticks])


@pytest.fixture
def session_journal(tmp_path: Path, session_ticks: list[Trade | Quote]) -> Iterator[SqliteJournal]:
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    append_ticks(journal, session_ticks)
    yield journal
    journal.close_now()


def settled_count(endpoint: Endpoint, table: str) -> int:
    """Rows of ``table`` once QuestDB has applied every WAL transaction it acknowledged.

    Dedup and WAL apply run asynchronously after the ILP request is acknowledged, so a
    count taken at once may see fewer rows or not yet merged duplicates.
    """
    for _ in range(WAL_POLLS):
        [[writer, sequencer, suspended]] = endpoint.rows(
            f"SELECT writerTxn, sequencerTxn, suspended FROM wal_tables() WHERE name = '{table}'"
        )
        assert not suspended, f"QuestDB suspended WAL apply on {table}"
        if writer == sequencer:
            [[count]] = endpoint.rows(f"SELECT count() FROM '{table}'")
            return int(count)
        time.sleep(0.05)
    raise AssertionError(f"QuestDB did not apply the WAL of {table} in {WAL_POLLS * 0.05:.0f} s")


class CuttableLink:
    """A TCP relay to the real QuestDB that can be cut: an outage between the sink and
    the server without stopping the server others share. After ``budget`` bytes from the
    client it drops every connection and refuses new ones until ``restore()``."""

    def __init__(self, upstream: tuple[str, int], budget: int | None = None) -> None:
        self.upstream = upstream
        self.budget = budget
        self.cuts = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def conf(self) -> str:
        return f"http::addr=127.0.0.1:{self.port};"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self.budget is not None and self.budget <= 0:
                    client.close()
                    continue
                server = socket.create_connection(self.upstream)
                self._sockets += [client, server]
            for source, target, metered in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, metered), daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket, metered: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if metered and self.budget is not None:
                    with self._lock:
                        self.budget -= len(data)
                        if self.budget <= 0:
                            self._drop_all()
                            return
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def _drop_all(self) -> None:
        if self._sockets:
            self.cuts += 1
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets = []

    def restore(self) -> None:
        with self._lock:
            self.budget = None

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            self._drop_all()
        self._accepting.join(timeout=5)


@pytest.fixture
def link(questdb_conf: str) -> Iterator[CuttableLink]:
    host, _, port = Endpoint.from_conf(questdb_conf).base_url.removeprefix("http://").partition(":")
    relay = CuttableLink((host, int(port)))
    yield relay
    relay.close()

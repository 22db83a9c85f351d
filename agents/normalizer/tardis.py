"""Tardis.dev CSV files (trades and quotes) to canonical ticks, streamed line by line.

The header says which file it is; columns are found by name. Timestamps are integer
microseconds (``timestamp`` = exchange time -> ``ts_event``, ``local_timestamp`` = Tardis
receive time -> ``ts_recv``). Tardis never quotes fields, so a row is split on commas.

Every bad row becomes a ``Problem`` and reading goes on. A last line without a newline
is reported even when it parses: a cut number (``0.13`` of ``0.132``) would parse too,
and a file that stops mid-line was cut by a crash or a full disk.
"""

from __future__ import annotations

import gzip
import heapq
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from agents.instruments import InstrumentRegistry
from agents.normalizer.fields import (
    NS_PER_US,
    known_instrument,
    positive_decimal,
    text_id,
    ts_from_digits,
)
from agents.normalizer.parsed import BadInput, Problem, clip, raw_text
from schemas import InstrumentId, Quote, TapelineError, Trade
from schemas.types import Aggressor

TRADE_COLUMNS = (
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "id",
    "side",
    "price",
    "amount",
)
QUOTE_COLUMNS = (
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "ask_amount",
    "ask_price",
    "bid_price",
    "bid_amount",
)

_AGGRESSOR: dict[str, Aggressor] = {"buy": "buy", "sell": "sell", "unknown": "none", "": "none"}

TardisItem = Trade | Quote | Problem
FileKind = Literal["trades", "quotes"]


def _columns_of(header: str) -> tuple[FileKind, dict[str, int]] | None:
    names = header.split(",")
    index = {name: position for position, name in enumerate(names)}
    if len(index) != len(names):
        return None
    if set(names) == set(TRADE_COLUMNS):
        return "trades", index
    if set(names) == set(QUOTE_COLUMNS):
        return "quotes", index
    return None


class _RowParser:
    """Parses the data rows of one file; caches the instrument id per (exchange, symbol)."""

    def __init__(self, kind: FileKind, index: dict[str, int], registry: InstrumentRegistry):
        self.kind = kind
        self.width = len(index)
        self.registry = registry
        self.instruments: dict[tuple[str, str], InstrumentId] = {}
        self.exchange, self.symbol = index["exchange"], index["symbol"]
        self.ts, self.local_ts = index["timestamp"], index["local_timestamp"]
        if kind == "trades":
            self.trade_id, self.side = index["id"], index["side"]
            self.price, self.amount = index["price"], index["amount"]
        else:
            self.ask_amount, self.ask_price = index["ask_amount"], index["ask_price"]
            self.bid_price, self.bid_amount = index["bid_price"], index["bid_amount"]

    def instrument(self, fields: list[str]) -> InstrumentId:
        key = (fields[self.exchange], fields[self.symbol])
        instrument = self.instruments.get(key)
        if instrument is None:
            instrument = known_instrument(self.registry, *key)
            self.instruments[key] = instrument
        return instrument

    def parse(self, line: str) -> Trade | Quote:
        fields = line.split(",")
        if len(fields) != self.width:
            raise BadInput(f"expected {self.width} columns, got {len(fields)}")
        instrument = self.instrument(fields)
        ts_event = ts_from_digits(fields[self.ts], NS_PER_US, "timestamp")
        ts_recv = ts_from_digits(fields[self.local_ts], NS_PER_US, "local_timestamp")
        if self.kind == "trades":
            return self._trade(fields, instrument, ts_event, ts_recv)
        return self._quote(fields, instrument, ts_event, ts_recv)

    def _trade(
        self, fields: list[str], instrument: InstrumentId, ts_event: int, ts_recv: int
    ) -> Trade:
        aggressor = _AGGRESSOR.get(fields[self.side].lower())
        if aggressor is None:
            raise BadInput(f"side must be buy, sell or unknown, got {clip(fields[self.side])!r}")
        return Trade(
            instrument=instrument,
            trade_id=text_id(fields[self.trade_id], "id"),
            price=positive_decimal(fields[self.price], "price"),
            size=positive_decimal(fields[self.amount], "amount"),
            aggressor=aggressor,
            ts_event=ts_event,
            ts_recv=ts_recv,
        )

    def _quote(
        self, fields: list[str], instrument: InstrumentId, ts_event: int, ts_recv: int
    ) -> Quote:
        bid_price, bid_amount = fields[self.bid_price], fields[self.bid_amount]
        ask_price, ask_amount = fields[self.ask_price], fields[self.ask_amount]
        if not bid_price or not bid_amount:
            raise BadInput("one-sided quote: the bid side is empty (no bid in the book)")
        if not ask_price or not ask_amount:
            raise BadInput("one-sided quote: the ask side is empty (no ask in the book)")
        bid = positive_decimal(bid_price, "bid_price")
        ask = positive_decimal(ask_price, "ask_price")
        if bid > ask:
            raise BadInput(f"crossed quote: bid {bid} > ask {ask}")
        return Quote(
            instrument=instrument,
            bid=bid,
            bid_size=positive_decimal(bid_amount, "bid_amount"),
            ask=ask,
            ask_size=positive_decimal(ask_amount, "ask_amount"),
            ts_event=ts_event,
            ts_recv=ts_recv,
        )


def parse_tardis_stream(
    lines: Iterable[bytes], *, registry: InstrumentRegistry, source: str = ""
) -> Iterator[TardisItem]:
    """Ticks and Problems from the lines of a binary file (each line with its ``\\n``)."""
    parser: _RowParser | None = None
    for line_number, line in enumerate(lines, start=1):
        terminated = line.endswith(b"\n")
        try:
            text = line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            reason = f"invalid UTF-8 at byte {error.start}"
            yield Problem(line_number, reason, raw_text(line), source)
            if parser is None:
                return
            continue
        if parser is None:
            found = _columns_of(text.removeprefix("\ufeff"))
            if found is None:
                reason = (
                    "unrecognised header: expected Tardis trades "
                    f"({','.join(TRADE_COLUMNS)}) or quotes ({','.join(QUOTE_COLUMNS)})"
                )
                yield Problem(line_number, reason, clip(text), source)
                return
            parser = _RowParser(found[0], found[1], registry)
            continue
        if not text and terminated:
            continue  # a blank line carries nothing
        try:
            tick = parser.parse(text)
        except (BadInput, ValidationError) as error:
            reason = str(error)
            if not terminated:
                reason = f"truncated last line (no newline at end of file): {reason}"
            yield Problem(line_number, reason, clip(text), source)
            continue
        if not terminated:
            reason = "truncated last line: no newline at end of file, the row may be cut short"
            yield Problem(line_number, reason, clip(text), source)
            continue
        yield tick


def parse_tardis(path: Path | str, *, registry: InstrumentRegistry) -> Iterator[TardisItem]:
    """Stream one Tardis CSV file (``.csv`` or ``.csv.gz``); the file stays open while read.

    A file that cannot be opened is the caller's error (``TapelineError``); a file that
    breaks while being read (a cut ``.gz``) ends with a Problem after its good rows.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        stream = opener(path, "rb")
    except OSError as error:
        raise TapelineError(f"{path}: cannot open the Tardis file: {error}") from None
    failures: list[str] = []
    with stream:
        yield from parse_tardis_stream(
            _until_broken(stream, failures), registry=registry, source=path.name
        )
    for failure in failures:
        yield Problem(None, f"the file could not be read to its end: {failure}", "", path.name)


def _until_broken(stream: Iterable[bytes], failures: list[str]) -> Iterator[bytes]:
    try:
        yield from stream
    except (OSError, EOFError, zlib.error) as error:  # a cut or corrupt .gz
        failures.append(str(error) or type(error).__name__)


def _keyed(items: Iterator[TardisItem], tie: int) -> Iterator[tuple[int, int, TardisItem]]:
    """Sort keys for the merge; a Problem takes the time of the tick before it."""
    last_ts = 0
    for item in items:
        if not isinstance(item, Problem):
            last_ts = item.ts_event
        yield last_ts, tie, item


def merge_tardis(
    trades_path: Path | str, quotes_path: Path | str | None, *, registry: InstrumentRegistry
) -> Iterator[TardisItem]:
    """Two files as one stream by (ts_event, quotes before trades), holding one row of each.

    A quote at the same microsecond as a trade goes first so that a consumer marking the
    trade sees the book the trade printed against.
    """
    trades = _keyed(parse_tardis(trades_path, registry=registry), tie=1)
    if quotes_path is None:
        for _, _, item in trades:
            yield item
        return
    quotes = _keyed(parse_tardis(quotes_path, registry=registry), tie=0)
    for _, _, item in heapq.merge(quotes, trades, key=lambda keyed: keyed[:2]):
        yield item

"""The normalizer: venue input in, canonical ticks (and gaps, and Problems) out.

It runs on the ingest side, before ``md.ticks``: the feed driver hands it raw input and
appends what comes out (Trade, Quote, MarketDataGap to ``md.ticks``; each Problem as a
``DeadLetter`` via ``Problem.to_dead_letter``). Per tick, in this order:

1. parse and check the instrument against the registry (the venue parsers do this);
2. a trade whose (instrument, trade id) is in the dedup window is dropped and counted;
3. a sequenced message is checked for gaps: a gap yields a ``MarketDataGap`` before the
   tick; a sequence number below the expected one is a Problem and the tick is dropped;
4. a tick older than the last one of its kind on its instrument is still emitted (the
   print happened, and downstream folds such as tickers ignore stale ticks for "latest"
   while still counting them) but counted in ``late_trades`` / ``late_quotes``.

Which channels are checked for gaps is a parameter: Binance ``bookTicker`` update ids and
Coinbase ``match`` sequences jump whenever the venue sends messages the subscription does
not carry, so a caller on such a partial subscription may want to exclude them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from agents.instruments import InstrumentRegistry
from agents.normalizer.binance import BOOK_TICKER_CHANNEL, BinanceMessage, parse_binance
from agents.normalizer.coinbase import MATCH_CHANNEL, CoinbaseMessage, parse_coinbase
from agents.normalizer.dedup import DEFAULT_WINDOW, TradeDeduplicator
from agents.normalizer.gaps import GapDetector
from agents.normalizer.parsed import Problem, Sequenced, raw_text
from agents.normalizer.tardis import merge_tardis, parse_tardis
from schemas import MarketDataGap, Quote, TapelineError, Trade
from schemas.types import MAX_TS_NS

Normalized = Trade | Quote | MarketDataGap | Problem
DEFAULT_GAP_CHANNELS = frozenset({BOOK_TICKER_CHANNEL, MATCH_CHANNEL})


class NormalizerCounters(msgspec.Struct, kw_only=True):
    accepted: int = 0
    """Ticks emitted (late ones included)."""
    duplicates: int = 0
    problems: int = 0
    gaps: int = 0
    late_trades: int = 0
    late_quotes: int = 0
    ignored: int = 0
    """Control messages (subscription replies, heartbeats) that carry no tick."""


class Normalizer:
    """Stateful across calls: one instance per ingest session (dedup and gaps span files)."""

    def __init__(
        self,
        registry: InstrumentRegistry | None = None,
        *,
        dedup_window: int = DEFAULT_WINDOW,
        binance_venue: str = "binance",
        coinbase_venue: str = "coinbase",
        gap_channels: Iterable[str] = DEFAULT_GAP_CHANNELS,
    ) -> None:
        self.registry = registry if registry is not None else InstrumentRegistry()
        self.binance_venue = binance_venue
        self.coinbase_venue = coinbase_venue
        self.gap_channels = frozenset(gap_channels)
        self.counters = NormalizerCounters()
        self._dedup = TradeDeduplicator(dedup_window)
        self._gaps = GapDetector()
        self._last_trade_ts: dict[str, int] = {}
        self._last_quote_ts: dict[str, int] = {}

    def feed_tardis(self, path: Path | str) -> Iterator[Normalized]:
        """Stream one Tardis CSV file (trades or quotes, told by its header)."""
        for item in parse_tardis(path, registry=self.registry):
            yield from self._admit(item, None)

    def feed_tardis_session(
        self, trades_path: Path | str, quotes_path: Path | str | None = None
    ) -> Iterator[Normalized]:
        """Two Tardis files merged by (ts_event, quotes first on ties), streamed."""
        for item in merge_tardis(trades_path, quotes_path, registry=self.registry):
            yield from self._admit(item, None)

    def feed_binance(self, message: BinanceMessage, ts_recv: int) -> list[Normalized]:
        """One Binance websocket message received at ``ts_recv`` (ns, the driver's clock)."""
        _check_ts_recv(ts_recv)
        parsed = parse_binance(message, ts_recv, registry=self.registry, venue=self.binance_venue)
        return self._admit(parsed, message)

    def feed_coinbase(self, message: CoinbaseMessage, ts_recv: int) -> list[Normalized]:
        """One Coinbase websocket message received at ``ts_recv`` (ns)."""
        _check_ts_recv(ts_recv)
        parsed = parse_coinbase(message, ts_recv, registry=self.registry, venue=self.coinbase_venue)
        return self._admit(parsed, message)

    def feed_ticks(self, ticks: Iterable[Trade | Quote]) -> Iterator[Normalized]:
        """Already canonical ticks (the synthetic feed): registry, dedup and lateness only."""
        for tick in ticks:
            yield from self._admit(tick, None)

    def _admit(
        self, parsed: Sequenced | Trade | Quote | Problem | None, raw: object
    ) -> list[Normalized]:
        if parsed is None:
            self.counters.ignored += 1
            return []
        if isinstance(parsed, Problem):
            self.counters.problems += 1
            return [parsed]
        if isinstance(parsed, Sequenced):
            tick, channel, seq = parsed.tick, parsed.channel, parsed.seq
        else:
            tick, channel, seq = parsed, "", None
            if tick.instrument not in self.registry:
                self.counters.problems += 1
                reason = f"unknown instrument {tick.instrument!r}; add it with --instruments"
                return [Problem(None, reason, raw_text(tick.model_dump_json()))]
        if isinstance(tick, Trade) and self._dedup.is_duplicate(tick.instrument, tick.trade_id):
            self.counters.duplicates += 1
            return []
        out: list[Normalized] = []
        if seq is not None and channel in self.gap_channels:
            verdict = self._gaps.observe(
                tick.instrument,
                channel,
                seq,
                ts_event=tick.ts_event,
                ts_recv=tick.ts_recv,
            )
            if isinstance(verdict, Problem):
                self.counters.problems += 1
                return [msgspec.structs.replace(verdict, raw=raw_text(raw))]
            if verdict is not None:
                self.counters.gaps += 1
                out.append(verdict)
        self._note_lateness(tick)
        self.counters.accepted += 1
        out.append(tick)
        return out

    def _note_lateness(self, tick: Trade | Quote) -> None:
        last = self._last_trade_ts if isinstance(tick, Trade) else self._last_quote_ts
        previous = last.get(tick.instrument)
        if previous is not None and tick.ts_event < previous:
            if isinstance(tick, Trade):
                self.counters.late_trades += 1
            else:
                self.counters.late_quotes += 1
            return
        last[tick.instrument] = tick.ts_event


def _check_ts_recv(ts_recv: int) -> None:
    if isinstance(ts_recv, bool) or not isinstance(ts_recv, int) or not 0 < ts_recv <= MAX_TS_NS:
        raise TapelineError(f"ts_recv must be integer ns since the epoch, got {ts_recv!r}")


def tardis_session(
    trades_path: Path | str,
    quotes_path: Path | str | None = None,
    *,
    normalizer: Normalizer | None = None,
) -> Iterator[Normalized]:
    """``tapeline run --feed tardis:TRADES[,QUOTES]``: both files, merged, normalized."""
    return (normalizer or Normalizer()).feed_tardis_session(trades_path, quotes_path)

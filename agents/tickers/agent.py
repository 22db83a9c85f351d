"""tickers: the latest quote and trade per instrument (marks for PnL, `/tickers`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.tickers.fold import apply_tick
from agents.tickers.state import Ticker
from streams.agent import Agent
from streams.topics import MD_TICKS

NAME = "tickers"


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def present(key: str, ticker: Ticker, tables: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "instrument": ticker.instrument,
        "bid": _text(ticker.bid),
        "bid_size": _text(ticker.bid_size),
        "ask": _text(ticker.ask),
        "ask_size": _text(ticker.ask_size),
        "mid": _text(ticker.mid),
        "last_price": _text(ticker.last_price),
        "last_size": _text(ticker.last_size),
        "quote_ts": ticker.quote_ts,
        "trade_ts": ticker.trade_ts,
        "quotes": ticker.quotes,
        "trades": ticker.trades,
    }


def build() -> Agent[Ticker]:
    return Agent(
        name=NAME,
        inputs=(MD_TICKS,),
        kinds=frozenset({"quote", "trade"}),
        state_type=Ticker,
        initial=lambda key: Ticker(instrument=key),
        state_key=lambda tick: str(tick.instrument),
        evolve=apply_tick,
        present=present,
    )

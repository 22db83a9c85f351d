"""Latest quote and trade per instrument; an older tick never overwrites a newer one."""

from __future__ import annotations

import msgspec

from agents.tickers.state import Ticker
from schemas import Quote, Trade


def apply_tick(ticker: Ticker, tick: Quote | Trade) -> Ticker:
    if tick.kind == "quote":
        if tick.ts_event < ticker.quote_ts:
            return msgspec.structs.replace(ticker, quotes=ticker.quotes + 1)
        return msgspec.structs.replace(
            ticker,
            bid=tick.bid,
            bid_size=tick.bid_size,
            ask=tick.ask,
            ask_size=tick.ask_size,
            quote_ts=tick.ts_event,
            quotes=ticker.quotes + 1,
        )
    if tick.ts_event < ticker.trade_ts:
        return msgspec.structs.replace(ticker, trades=ticker.trades + 1)
    return msgspec.structs.replace(
        ticker,
        last_price=tick.price,
        last_size=tick.size,
        trade_ts=tick.ts_event,
        trades=ticker.trades + 1,
    )

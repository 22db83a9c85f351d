from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest

from agents.normalizer import Problem, merge_tardis, parse_tardis
from schemas import Quote, TapelineError, Trade
from tests.agents.normalizer.helpers import (
    QUOTES_HEADER,
    REGISTRY,
    T_US,
    TRADES_HEADER,
    only_problem,
    tardis,
)

TRADE_ROW = f"binance-futures,BTCUSDT,{T_US},{T_US + 307379},42377944,buy,9682,0.132"
QUOTE_ROW = f"binance-futures,BTCUSDT,{T_US},{T_US + 100},0.84,9682,9681.92,0.67"


def test_a_trade_row_becomes_a_trade() -> None:
    [trade] = tardis(f"{TRADES_HEADER}\n{TRADE_ROW}\n")
    assert trade == Trade(
        instrument="binance-futures:BTCUSDT",  # type: ignore[arg-type]
        trade_id="42377944",
        price=Decimal("9682"),
        size=Decimal("0.132"),
        aggressor="buy",
        ts_event=1582329602111000000,
        ts_recv=1582329602418379000,
    )


def test_a_quote_row_becomes_a_quote() -> None:
    [quote] = tardis(f"{QUOTES_HEADER}\r\n{QUOTE_ROW}\r\n")
    assert isinstance(quote, Quote)
    assert (quote.bid, quote.bid_size, quote.ask, quote.ask_size) == (
        Decimal("9681.92"),
        Decimal("0.67"),
        Decimal("9682"),
        Decimal("0.84"),
    )
    assert (quote.ts_event, quote.ts_recv) == (T_US * 1000, (T_US + 100) * 1000)


def test_columns_are_found_by_name() -> None:
    header = "symbol,exchange,timestamp,local_timestamp,side,id,amount,price"
    [trade] = tardis(f"{header}\nBTCUSDT,binance-futures,{T_US},{T_US},sell,7,0.5,9000.5\n")
    assert isinstance(trade, Trade)
    assert (trade.trade_id, trade.price, trade.size) == ("7", Decimal("9000.5"), Decimal("0.5"))


@pytest.mark.parametrize(
    ("side", "aggressor"), [("buy", "buy"), ("sell", "sell"), ("unknown", "none"), ("", "none")]
)
def test_side_maps_to_aggressor(side: str, aggressor: str) -> None:
    row = f"bitmex,XBTUSD,{T_US},{T_US},ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf,{side},8531.5,2152"
    [trade] = tardis(f"{TRADES_HEADER}\n{row}\n")
    assert isinstance(trade, Trade)
    assert trade.aggressor == aggressor


BAD_TRADE_ROWS = [
    ("binance-futures,BTCUSDT,1,2,3,buy,9682", "expected 8 columns, got 7"),
    (f"{TRADE_ROW},extra", "expected 8 columns, got 9"),
    (TRADE_ROW.replace("9682", "NaN"), "price is not a positive decimal"),
    (TRADE_ROW.replace("9682", "-9682"), "price is not a positive decimal"),
    (TRADE_ROW.replace("9682", "0"), "price must be positive"),
    (TRADE_ROW.replace("0.132", "-0.132"), "amount is not a positive decimal"),
    (TRADE_ROW.replace("0.132", "0"), "amount must be positive"),
    (TRADE_ROW.replace("0.132", ""), "amount is empty"),
    (TRADE_ROW.replace(f"{T_US},", "soon,", 1), "timestamp is not an integer"),
    (TRADE_ROW.replace(f"{T_US},", ",", 1), "timestamp is not an integer"),
    (TRADE_ROW.replace(f"{T_US},", "0,", 1), "outside"),
    (TRADE_ROW.replace("BTCUSDT", "DOGEUSDT"), "unknown instrument 'binance-futures:DOGEUSDT'"),
    (TRADE_ROW.replace("buy", "sideways"), "side must be buy, sell or unknown"),
    (TRADE_ROW.replace("42377944", "x" * 129), "id must have 1 to 128"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_TRADE_ROWS)
def test_bad_trade_rows_are_problems(row: str, reason: str) -> None:
    items = tardis(f"{TRADES_HEADER}\n{TRADE_ROW}\n{row}\n{TRADE_ROW}\n")
    problem = only_problem(items)
    assert reason in problem.reason
    assert (problem.line_number, problem.raw, problem.source) == (3, row, "test.csv")
    assert len([item for item in items if isinstance(item, Trade)]) == 2


BAD_QUOTE_ROWS = [
    (f"binance-futures,BTCUSDT,{T_US},{T_US},0.84,9681,9682,0.67", "crossed quote"),
    (f"binance-futures,BTCUSDT,{T_US},{T_US},0.84,9682,,", "the bid side is empty"),
    (f"binance-futures,BTCUSDT,{T_US},{T_US},,,9681.92,0.67", "the ask side is empty"),
    (f"binance-futures,BTCUSDT,{T_US},{T_US},0.84,9682,9681.92,", "the bid side is empty"),
    (f"binance-futures,BTCUSDT,{T_US},{T_US},0.84,9682,9681.92,nan", "bid_amount is not a"),
    (f"binance-futures,BTCUSDT,{T_US},{T_US},0,9682,9681.92,0.67", "ask_amount must be positive"),
    (f"kraken,XBTUSD,{T_US},{T_US},0.84,9682,9681.92,0.67", "unknown instrument"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_QUOTE_ROWS)
def test_bad_quote_rows_are_problems(row: str, reason: str) -> None:
    problem = only_problem(tardis(f"{QUOTES_HEADER}\n{row}\n{QUOTE_ROW}\n"))
    assert reason in problem.reason
    assert problem.line_number == 2


def test_a_locked_quote_is_accepted() -> None:
    row = f"binance-futures,BTCUSDT,{T_US},{T_US},0.84,9682,9682,0.67"
    [quote] = tardis(f"{QUOTES_HEADER}\n{row}\n")
    assert isinstance(quote, Quote)


def test_a_truncated_last_line_is_a_problem_even_when_it_parses() -> None:
    cut = TRADE_ROW[:-1]  # amount 0.13 instead of 0.132: parses, but is wrong
    items = tardis(f"{TRADES_HEADER}\n{TRADE_ROW}\n{cut}")
    problem = only_problem(items)
    assert "truncated last line" in problem.reason
    assert isinstance(items[0], Trade)


def test_a_truncated_last_line_that_does_not_parse_says_both() -> None:
    problem = only_problem(tardis(f"{TRADES_HEADER}\n{TRADE_ROW}\nbinance-futures,BTCUSDT,15"))
    assert "truncated last line" in problem.reason
    assert "expected 8 columns" in problem.reason


def test_invalid_utf8_is_a_problem_and_reading_goes_on() -> None:
    data = f"{TRADES_HEADER}\n".encode() + b"binance-futures,BTC\xff\xfeUSDT,1,2,3,buy,1,1\n"
    items = tardis(data + f"{TRADE_ROW}\n".encode())
    problem = only_problem(items)
    assert "invalid UTF-8" in problem.reason
    assert "\\xff" in problem.raw
    assert isinstance(items[1], Trade)


@pytest.mark.parametrize(
    "header",
    ["timestamp,bid,ask", "", "exchange,symbol,timestamp,local_timestamp,id,id,price,amount"],
)
def test_an_unknown_header_stops_the_file(header: str) -> None:
    items = tardis(f"{header}\n{TRADE_ROW}\n")
    assert len(items) == 1
    assert "unrecognised header" in only_problem(items).reason


def test_blank_lines_are_skipped_and_empty_input_yields_nothing() -> None:
    assert len(tardis(f"{TRADES_HEADER}\n\n{TRADE_ROW}\n\n")) == 1
    assert tardis(b"") == []


def _count(items: list[Trade | Quote | Problem]) -> tuple[int, int, int]:
    return (
        sum(isinstance(item, Trade) for item in items),
        sum(isinstance(item, Quote) for item in items),
        sum(isinstance(item, Problem) for item in items),
    )


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("binance-futures_trades_BTCUSDT.tardis.csv", (9999, 0, 0)),
        ("binance-futures_quotes_BTCUSDT.tardis.csv", (0, 9999, 0)),
        ("bitmex_trades_XBTUSD.tardis.csv", (10, 0, 0)),
        ("huobi-dm-swap_quotes_BTC-USD.tardis.csv", (0, 10, 0)),
    ],
)
def test_the_shared_files_parse_completely(
    market_data: Path, name: str, counts: tuple[int, int, int]
) -> None:
    items = list(parse_tardis(market_data / name, registry=REGISTRY))
    assert _count(items) == counts


def test_shared_bitmex_trades_keep_their_uuid_ids(market_data: Path) -> None:
    items = list(parse_tardis(market_data / "bitmex_trades_XBTUSD.tardis.csv", registry=REGISTRY))
    first = items[0]
    assert isinstance(first, Trade)
    assert first.instrument == "bitmex:XBTUSD"
    assert first.trade_id == "ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf"
    assert (first.price, first.size) == (Decimal("8531.5"), Decimal("2152"))
    assert first.aggressor == "sell"
    assert first.ts_event == 1583020803145000000


def test_gzipped_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv.gz"
    path.write_bytes(gzip.compress(f"{TRADES_HEADER}\n{TRADE_ROW}\n".encode()))
    assert _count(list(parse_tardis(path, registry=REGISTRY))) == (1, 0, 0)


def test_merge_orders_by_time_with_quotes_first_on_ties(tmp_path: Path) -> None:
    trades = tmp_path / "t.csv"
    quotes = tmp_path / "q.csv"
    trade_rows = [
        f"binance-futures,BTCUSDT,{T_US + 10},{T_US + 10},1,buy,9682,1",
        f"binance-futures,BTCUSDT,{T_US + 20},{T_US + 20},2,buy,9682,1",
        "bad row",
        f"binance-futures,BTCUSDT,{T_US + 30},{T_US + 30},3,buy,9682,1",
    ]
    quote_rows = [f"binance-futures,BTCUSDT,{T_US + t},{T_US + t},1,9682,9681,1" for t in (5, 20)]
    trades.write_text("\n".join([TRADES_HEADER, *trade_rows]) + "\n")
    quotes.write_text("\n".join([QUOTES_HEADER, *quote_rows]) + "\n")
    merged = list(merge_tardis(trades, quotes, registry=REGISTRY))
    shape = [
        (item.kind, item.ts_event // 1000 - T_US) if not isinstance(item, Problem) else "problem"
        for item in merged
    ]
    assert shape == [
        ("quote", 5),
        ("trade", 10),
        ("quote", 20),
        ("trade", 20),
        "problem",
        ("trade", 30),
    ]
    assert _count(list(merge_tardis(trades, None, registry=REGISTRY))) == (3, 0, 1)


def test_merging_the_shared_files_is_time_ordered(market_data: Path) -> None:
    merged = list(
        merge_tardis(
            market_data / "binance-futures_trades_BTCUSDT.tardis.csv",
            market_data / "binance-futures_quotes_BTCUSDT.tardis.csv",
            registry=REGISTRY,
        )
    )
    assert _count(merged) == (9999, 9999, 0)
    ticks = [item for item in merged if isinstance(item, Trade | Quote)]
    keys = [(tick.ts_event, tick.kind == "trade") for tick in ticks]
    assert keys == sorted(keys)


def test_a_cut_gzip_file_keeps_its_good_rows_and_ends_with_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv.gz"
    rows = "".join(f"{TRADE_ROW.replace('42377944', str(n))}\n" for n in range(2000))
    compressed = gzip.compress(f"{TRADES_HEADER}\n{rows}".encode())
    path.write_bytes(compressed[: len(compressed) // 2])
    items = list(parse_tardis(path, registry=REGISTRY))
    assert isinstance(items[-1], Problem)
    assert "could not be read to its end" in items[-1].reason
    assert len(items) > 100
    assert all(isinstance(item, Trade) for item in items[:-2])  # the row cut in two may be bad


def test_a_missing_file_is_the_callers_error(tmp_path: Path) -> None:
    with pytest.raises(TapelineError, match="cannot open the Tardis file"):
        list(parse_tardis(tmp_path / "nope.csv", registry=REGISTRY))

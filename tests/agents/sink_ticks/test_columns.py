"""Journal records to column frames (columns.py): exact values, order, refusals (no server)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.sink_ticks.columns import (
    JSON_SCHEMAS,
    TickBatch,
    ValueRefusedError,
    read_batch,
)
from schemas import MarketDataGap, Quote, Trade
from streams.errors import CorruptRecordError
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from tests.agents.sink_ticks.conftest import append_ticks
from tests.factories import quote, submit, trade


@pytest.fixture
def journal(tmp_path: Path) -> SqliteJournal:
    return SqliteJournal(tmp_path / "journal.sqlite")


def only_batch(journal: SqliteJournal, after: int = 0, limit: int = 1000) -> TickBatch:
    batch = read_batch(journal, after, limit)
    assert batch is not None
    return batch


def test_the_arrow_schemas_are_the_models_fields() -> None:
    """A field added to Trade or Quote must reach the sink's parse, or parsing refuses it."""
    for model in (Trade, Quote):
        assert JSON_SCHEMAS[model.KIND].names == list(model.model_fields)


def test_values_land_exact_and_in_journal_order(journal: SqliteJournal) -> None:
    ticks: list[Trade | Quote] = [
        trade(trade_id="a", price="0.000000000000000001", size="99999999999999.5", ts_event=3),
        quote(bid="1E-7", bid_size="1E+3", ask="2", ask_size="0.1", ts_event=5, ts_recv=7),
        trade(instrument="okx:ETHUSDT", trade_id="b", aggressor="sell", ts_event=1, ts_recv=2),
    ]
    append_ticks(journal, ticks)
    batch = only_batch(journal)
    assert (batch.first_seq, batch.last_seq, batch.records) == (1, 3, 3)
    assert batch.trades is not None
    assert batch.quotes is not None
    trades = batch.trades.to_dict("list")
    assert trades["trade_id"] == ["a", "b"]  # journal order, not ts order
    assert [Decimal(str(v)) for v in trades["price"]] == [Decimal("1E-18"), Decimal("10000")]
    assert Decimal(str(trades["size"][0])) == Decimal("99999999999999.5")
    assert trades["venue"] == ["binance-futures", "okx"]
    assert trades["aggressor"] == ["buy", "sell"]
    assert [t.value for t in trades["ts"]] == [3, 1]
    assert [t.value for t in trades["ts_recv"]][1] == 2
    quotes = batch.quotes.to_dict("list")
    assert [Decimal(str(quotes[c][0])) for c in ("bid", "bid_size", "ask", "ask_size")] == [
        Decimal("1E-7"),
        Decimal("1000"),
        Decimal("2"),
        Decimal("0.1"),
    ]
    assert (quotes["ts"][0].value, quotes["ts_recv"][0].value) == (5, 7)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.decimals(
            min_value=Decimal("1E-18"), max_value=Decimal("1E14"), places=18, allow_nan=False
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_price_the_column_holds_comes_back_equal(prices: list[Decimal]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal(Path(tmp) / "j.sqlite")
        append_ticks(journal, [trade(trade_id=str(i), price=str(p)) for i, p in enumerate(prices)])
        frame = only_batch(journal).trades
        journal.close_now()
    assert frame is not None
    assert [Decimal(str(v)) for v in frame["price"]] == prices


def test_the_limit_and_the_checkpoint_bound_a_batch(journal: SqliteJournal) -> None:
    append_ticks(journal, [trade(trade_id=f"T-{i}", ts_event=i) for i in range(5)])
    batch = only_batch(journal, after=1, limit=3)
    assert (batch.first_seq, batch.last_seq, batch.trade_rows, batch.quote_rows) == (2, 4, 3, 0)
    assert batch.quotes is None
    assert read_batch(journal, 5, 3) is None


def test_other_topics_and_gaps_are_not_rows(journal: SqliteJournal) -> None:
    gap = MarketDataGap(
        instrument="binance-futures:BTCUSDT",  # type: ignore[arg-type]
        channel="trade",
        expected_seq=5,
        received_seq=9,
        ts_event=1,
        ts_recv=1,
    )
    with journal.transaction():
        journal.append_in_transaction(
            [new_record("md.ticks", gap), new_record("orders.commands", submit())]
        )
    append_ticks(journal, [quote()])
    batch = only_batch(journal)
    assert (batch.records, batch.trade_rows, batch.quote_rows, batch.last_seq) == (2, 0, 1, 3)


def test_a_value_finer_than_the_column_is_refused_with_its_seq(journal: SqliteJournal) -> None:
    append_ticks(
        journal,
        [
            quote(ts_event=1),
            trade(trade_id="ok"),
            trade(trade_id="fine", size="0.0000000000000000001"),
        ],
    )
    with pytest.raises(ValueRefusedError, match="loss of precision") as refused:
        read_batch(journal, 0, 10)
    assert (refused.value.kind, refused.value.column, refused.value.seq) == ("trade", "size", 3)
    assert refused.value.first_seq == 1


def test_a_value_too_large_for_the_column_is_refused(journal: SqliteJournal) -> None:
    append_ticks(journal, [quote(ask="12345")])
    # Past the schema's own bound, so only a tampered or older record can carry it.
    journal.db.execute(
        "UPDATE journal SET payload = replace(payload, '12345', '1' || ?)", ("0" * 20,)
    )
    with pytest.raises(ValueRefusedError, match="does not fit") as refused:
        read_batch(journal, 0, 10)
    assert (refused.value.column, refused.value.seq) == ("ask", 1)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ('{"kind":"trade"', "does not decode"),
        ("", "does not decode"),
        ('{"kind":"trade","ts_event":1}', "does not decode"),
        (
            '{"kind":"trade","ts_event":1,"instrument":"x:Y","trade_id":"1","price":"1",'
            '"size":"1","aggressor":"buy","ts_recv":1,"extra":1}',
            "does not decode",
        ),
        (
            '{"kind":"trade","ts_event":1,"instrument":"x:Y","trade_id":"1","price":"1",'
            '"size":"1","aggressor":"buy","ts_recv":1}\n'
            '{"kind":"trade","ts_event":2,"instrument":"x:Y","trade_id":"9","price":"1",'
            '"size":"1","aggressor":"buy","ts_recv":2}',
            "does not decode",
        ),
    ],
    ids=["truncated", "empty", "missing-fields", "unknown-field", "two-values-on-two-lines"],
)
def test_a_corrupt_payload_is_named_by_its_seq(
    journal: SqliteJournal, payload: str, problem: str
) -> None:
    append_ticks(journal, [trade(trade_id="1"), trade(trade_id="2"), trade(trade_id="3")])
    journal.db.execute("UPDATE journal SET payload = ? WHERE seq = 2", (payload,))
    with pytest.raises(CorruptRecordError, match=f"seq 2: .*{problem}"):
        read_batch(journal, 0, 10)

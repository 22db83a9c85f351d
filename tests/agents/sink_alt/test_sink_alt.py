"""sink-alt against chDB (no ClickHouse server can be installed on the build machines)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.sink_alt import (
    CSV_FIELDS,
    AltSink,
    AltSinkError,
    ChdbTarget,
    create_table_sql,
    insert_sql,
    parse_alt_csv,
    synthetic_alt,
    target_from_env,
)
from agents.sink_alt.sink import exact_value
from schemas import AltDataPoint
from streams.records import new_record
from streams.sqlite_journal import SqliteJournal
from streams.topics import ALT_RAW

SUBJECTS = ("binance-futures:BTCUSDT", "synthetic:ALPHA", "synthetic:BRAVO")
START = 1_700_000_000_000_000_000


def _journal(tmp_path: Path, points: list[AltDataPoint]) -> SqliteJournal:
    journal = SqliteJournal.in_dir(tmp_path)
    with journal.transaction():
        journal.append_in_transaction([new_record(ALT_RAW, point) for point in points])
    return journal


def test_synthetic_feed_is_seeded_and_keyed_uniquely() -> None:
    first = synthetic_alt(7, SUBJECTS, START, 300)
    assert first == synthetic_alt(7, SUBJECTS, START, 300)
    assert first != synthetic_alt(8, SUBJECTS, START, 300)
    keys = {(p.source, p.metric, p.subject, p.ts_event) for p in first}
    assert len(keys) == 300
    assert {p.metric for p in first} == {"funding_rate", "news_sentiment"}
    assert all(Decimal(-1) <= p.value <= 1 for p in first if p.metric == "news_sentiment")


def test_sink_is_idempotent_on_a_second_pass(tmp_path: Path) -> None:
    points = synthetic_alt(3, SUBJECTS, START, 500)
    journal = _journal(tmp_path, points)
    target = target_from_env(tmp_path, {})
    assert isinstance(target, ChdbTarget)
    sink = AltSink(journal, target, batch_size=128)
    counters = sink.run_until_caught_up()
    assert counters.points_written == 500
    assert counters.batches == 4
    assert sink.position() == journal.end_seq()
    assert AltSink(journal, target).run_until_caught_up().points_written == 0
    sink.reset()
    assert AltSink(journal, target).run_until_caught_up().points_written == 500
    assert target.rows("SELECT count() AS n FROM alt_points") == [{"n": 1000}]
    stored = sink.points()
    assert len(stored) == 500
    expected = {(p.source, p.metric, p.subject, p.ts_event): p.value for p in points}
    assert {
        (r["source"], r["metric"], r["subject"], int(r["ts_event"])): Decimal(r["value"])
        for r in stored
    } == expected
    target.close()
    journal.close_now()


def test_a_correction_of_the_same_point_wins(tmp_path: Path) -> None:
    point = synthetic_alt(1, SUBJECTS, START, 1)[0]
    corrected = point.model_copy(update={"value": point.value + Decimal("0.5")})
    journal = _journal(tmp_path, [point])
    with journal.transaction():  # a different event id: the source re-sent a new value
        journal.append_in_transaction([new_record(ALT_RAW, corrected, event_id="fix-1")])
    target = ChdbTarget(tmp_path / "chdb")
    sink = AltSink(journal, target)
    sink.run_until_caught_up()
    assert [Decimal(r["value"]) for r in sink.points()] == [corrected.value]
    target.close()
    journal.close_now()


def test_the_checkpoint_stays_when_the_write_fails(tmp_path: Path) -> None:
    point = synthetic_alt(1, SUBJECTS, START, 1)[0]
    tiny = point.model_copy(update={"value": Decimal("1E-20")})
    journal = _journal(tmp_path, [point, tiny])
    target = ChdbTarget(tmp_path / "chdb")
    sink = AltSink(journal, target)
    with pytest.raises(AltSinkError, match="does not fit Decimal"):
        sink.run_until_caught_up()
    assert sink.position() == 0
    target.close()
    journal.close_now()


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=18, min_value=-(10**19), max_value=10**19
    )
)
def test_exact_values_round_trip_as_text(value: Decimal) -> None:
    assert Decimal(exact_value(value, 1)) == value


def test_sql_text_is_shared_and_quoted() -> None:
    create = create_table_sql()
    assert "ReplacingMergeTree(seq)" in create
    assert "ORDER BY (source, metric, subject, ts)" in create
    row = {
        "source": "it's",
        "metric": "m\\x",
        "subject": "s",
        "value": "0.000125",
        "ts_event": START,
        "event_id": "e",
        "seq": 3,
    }
    sql = insert_sql([row])
    assert "'it\\'s'" in sql
    assert "'m\\\\x'" in sql
    assert "'0.000125'" in sql  # quoted: parsed as a decimal, never a float


def test_an_unreachable_clickhouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AltSinkError, match="does not answer"):
        target_from_env(tmp_path, {"TAPELINE_CLICKHOUSE_URL": "http://127.0.0.1:9/"})


def test_csv_shape_parses_exactly() -> None:
    lines = [",".join(CSV_FIELDS), f"src,funding_rate,synthetic:ALPHA,0.000125,{START}"]
    (point,) = parse_alt_csv(lines)
    assert point.value == Decimal("0.000125")
    with pytest.raises(Exception, match="line 2"):
        parse_alt_csv([",".join(CSV_FIELDS), "src,m,s,notanumber,1"])

"""The markdown report and the README section it replaces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import report

DOCUMENT = {
    "mode": "quick",
    "machine": {"platform": "Linux-x", "processor": "x86_64", "cpus": 2, "python": "3.11.7"},
    "finished": "2026-11-25 11:00 UTC",
    "duration_s": 12.5,
    "benchmarks": {
        "journal": {
            "status": "ok",
            "results": {"events": 5000, "replay_events_per_s": 238551.2, "ratio_x": 1},
        },
        "oms": {
            "status": "ok",
            "results": {"rate_1000": {"p99_us": 812, "orders": 500}, "series": [1, 2]},
        },
        "questdb-sink": {"status": "skipped", "reason": "QuestDB down: 127.0.0.1:9000 refused"},
        "audit": {"status": "ok", "results": {"target_p50_ms": 200, "target_100x_met": True}},
    },
}


def test_table_has_headline_rows_skips_and_machine() -> None:
    table = report.markdown(DOCUMENT)
    assert "| journal | replay_events_per_s | 238,551 |" in table
    assert "| oms | rate_1000.p99_us | 812 |" in table
    assert "| questdb-sink | skipped | QuestDB down: 127.0.0.1:9000 refused |" in table
    assert "| audit | target_100x_met | true |" in table
    assert "events" not in table.replace("events_per_s", "")  # counts stay in the JSON
    assert "target_p50_ms" not in table  # a target is not a measurement
    assert "series" not in table
    assert "Machine: Linux-x, x86_64, 2 CPUs, Python 3.11.7; mode `quick`" in table


def test_a_bench_without_headline_metrics_shows_every_scalar() -> None:
    assert report.headline({"clients": 5, "nested": {"frames": 7}}) == [
        ("clients", 5),
        ("nested.frames", 7),
    ]


def test_numbers_are_formatted_for_reading() -> None:
    assert report.fmt(1234567.8) == "1,234,568"
    assert report.fmt(0.51234) == "0.512"
    assert report.fmt(12) == "12"
    assert report.fmt(None) == "-"
    assert report.fmt("a|b") == "a\\|b"


def test_placeholder_is_replaced_then_the_block_is_regenerated() -> None:
    readme = "# T\n\n## Benchmarks\n\nintro:\n\nBENCH_TABLE\n\n## Development\n"
    first = report.replace_section(readme, "| a | b |\n")
    assert "BENCH_TABLE\n" not in first.replace(report.START, "").replace(report.END, "")
    assert first.startswith("# T\n\n## Benchmarks\n\nintro:\n\n" + report.START)
    assert first.endswith(report.END + "\n\n## Development\n")
    second = report.replace_section(first, "| c | d |\n")
    assert "| a | b |" not in second
    assert "| c | d |" in second
    assert second.count(report.START) == 1


def test_without_placeholder_or_block_it_refuses() -> None:
    with pytest.raises(ValueError, match="BENCH_TABLE"):
        report.replace_section("# nothing to replace\n", "| a |")


@given(
    before=st.text(alphabet="abc #\n", max_size=40),
    after=st.text(alphabet="abc #\n", max_size=40),
    table=st.text(alphabet="|ab -\n", max_size=40),
)
def test_text_around_the_section_is_preserved(before: str, after: str, table: str) -> None:
    text = f"{before}\nBENCH_TABLE\n{after}"
    replaced = report.replace_section(text, table)
    assert replaced.startswith(before + "\n" + report.START)
    assert replaced.endswith(report.END + "\n" + after)
    again = report.replace_section(replaced, table)
    assert again == replaced


@pytest.mark.parametrize(
    ("count", "label"), [(500, "500"), (1000, "1k"), (20_000, "20k"), (1_000_000, "1M")]
)
def test_size_labels(count: int, label: str) -> None:
    assert report.size_label(count) == label

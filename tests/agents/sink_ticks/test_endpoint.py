"""Conf strings: what the sink derives from ``$TAPELINE_QUESTDB`` (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.sink_ticks import Endpoint, QuestDbConfError, TickSink, from_env
from agents.sink_ticks.endpoint import parse_conf, sender_conf
from streams.sqlite_journal import SqliteJournal


def test_the_sink_is_off_without_the_variable(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.sqlite")
    assert from_env(journal, {}) is None
    assert from_env(journal, {"TAPELINE_QUESTDB": "  "}) is None
    sink = from_env(journal, {"TAPELINE_QUESTDB": "http::addr=127.0.0.1:9000;"})
    assert isinstance(sink, TickSink)
    assert sink.endpoint.base_url == "http://127.0.0.1:9000"


def test_credentials_reach_the_exec_endpoint() -> None:
    basic = Endpoint.from_conf(
        "https::addr=db:9000;username=ann;password=s;;x;tls_verify=unsafe_off;"
    )
    assert basic.base_url == "https://db:9000"
    assert basic.headers == {"Authorization": "Basic YW5uOnM7eA=="}  # ann:s;x
    assert not basic.verify_tls
    assert Endpoint.from_conf("http::addr=h:1;token=abc;").headers == {
        "Authorization": "Bearer abc"
    }


@pytest.mark.parametrize(
    ("conf", "problem"),
    [
        ("127.0.0.1:9000", "not a QuestDB conf"),
        ("tcp::addr=127.0.0.1:9009;", "not http/https"),
        ("http::port=9000;", "no addr"),
        ("http::addr;", "not key=value"),
    ],
)
def test_unusable_confs_are_named(conf: str, problem: str) -> None:
    with pytest.raises(QuestDbConfError, match=problem):
        Endpoint.from_conf(conf)


def test_the_sink_does_its_own_retrying_unless_told_otherwise() -> None:
    assert sender_conf("http::addr=h:1") == "http::addr=h:1;retry_timeout=0;"
    assert sender_conf("http::addr=h:1;retry_timeout=500;") == "http::addr=h:1;retry_timeout=500;"


@given(
    st.dictionaries(
        st.text("abcdefghij_", min_size=1, max_size=8),
        st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"]), max_size=12),
        max_size=5,
    )
)
def test_any_escaped_value_parses_back(params: dict[str, str]) -> None:
    text = "http::" + "".join(f"{k}={v.replace(';', ';;')};" for k, v in params.items())
    proto, parsed = parse_conf(text)
    assert proto == "http"
    assert parsed == {k.strip(): v for k, v in params.items()}

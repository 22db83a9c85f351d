"""Hostile channel names at the live gateway never widen a subscription.

A client names channels in its ``subscribe`` message; the gateway turns each into NATS
subjects (agents/live_gateway/channels.py). Whatever the name (dots, ``*`` and ``>``
wildcards, colons, whitespace, other accounts, non-strings), the outcome is a
ProtocolError (answered as an error frame) or subjects that a scoped principal is
allowed to read: its own accounts only, and a tick subject that is one literal token
unless the client asked for exactly ``ticks:*``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.live_gateway.channels import (
    ACCOUNT_CHANNELS,
    Principal,
    ProtocolError,
    Route,
    route,
)
from streams.nats_bus import TICKS, subject
from tests.reliability import ledger

SCOPED = Principal("alice", "trader", frozenset({"ACC-A"}))
ALLOWED = {subject(prefix, "ACC-A") for prefix in ACCOUNT_CHANNELS.values()}
_PIECES = st.sampled_from(
    ["ticks", "orders", "fills", "positions", "pnl", "alerts", ":", ".", "*", ">", " ", "\t",
     "ACC-A", "ACC-B", "binance-futures:BTCUSDT", "%2E", "\u2024", "\x00", "\n"]
)  # fmt: skip
_NAMES = st.sampled_from([TICKS, *ACCOUNT_CHANNELS])
_CHANNEL: st.SearchStrategy[Any] = st.one_of(
    st.tuples(_NAMES, st.lists(_PIECES, max_size=4).map("".join)).map(":".join),
    st.tuples(_NAMES, st.text(max_size=12)).map(":".join),
    st.lists(_PIECES, min_size=1, max_size=6).map("".join),
    st.text(max_size=30),
    st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2),
)


def _outcome(channel: Any, known: bool) -> Route | ProtocolError:
    """The route, or the refusal; any other exception fails the test."""
    try:
        return route(channel, SCOPED, (lambda _instrument: True) if known else None)
    except ProtocolError as refused:
        return refused


@settings(max_examples=400, deadline=None)
@given(_CHANNEL, st.booleans())
def test_no_channel_name_reaches_subjects_outside_the_principals_scope(
    channel: Any, known: bool
) -> None:
    ledger.add(ledger.HOSTILE)
    target = _outcome(channel, known)
    if isinstance(target, ProtocolError):
        assert target.code
        assert target.detail
        return
    if not target.tick:
        assert set(target.subjects) <= ALLOWED, (channel, target)
        return
    if channel == f"{TICKS}:*":
        assert target.subjects == (f"{TICKS}.*",)
        return
    (only,) = target.subjects
    token = only.removeprefix(f"{TICKS}.")
    assert only.startswith(f"{TICKS}.")
    assert not set(token) & {".", "*", ">", " ", "\t", "\n"}, (channel, only)

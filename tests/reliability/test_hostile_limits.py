"""Hostile risk-limits files: each parses or is refused with a TapelineError.

It found ``[account]\ntrading_state = ["x"]`` raising TypeError; now refused by name.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.risk import load_limits
from tests.reliability.test_hostile_config import _RAW, _document, _offer, _pairs

_LIMIT_KEYS = [
    "max_order_qty", "max_order_notional", "credit_limit", "max_messages_per_second",
    "restricted", "price_collar_bps", "position_limit", "trading_state", "nonsense",
]  # fmt: skip
_LIMIT_SECTIONS = ["account", "instrument", "accounts.ACC-1", 'instruments."x:Y"', "accounts"]
_LIMITS_DOC = st.lists(
    st.tuples(st.sampled_from(_LIMIT_SECTIONS).map(lambda s: f"[{s}]"), _pairs(_LIMIT_KEYS)),
    max_size=4,
    unique_by=lambda s: s[0],
).map(_document)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_LIMITS_DOC, _RAW))
@example('[account]\ntrading_state = ["x"]\n')
@example("[accounts.ACC-1]\ntrading_state = {a = 1}\n")
def test_limits_files_parse_or_are_refused_clearly(content: str | bytes) -> None:
    _offer(load_limits, content)

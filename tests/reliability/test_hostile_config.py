"""Hostile configuration files: any text is either parsed or refused with a TapelineError.

``--instruments``, ``--limits`` and surveillance files come from operators' editors and
scripts; a typo must be one clear line, never a traceback. Documents are built from the
keys the loaders know (so the fuzzing reaches the validation behind the TOML parser)
with hostile values, and from raw text.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.compliance.config import SurveillanceConfig, load_surveillance
from agents.instruments import load_instruments_toml
from schemas import TapelineError
from tests.reliability import ledger

_DECIMALISH = st.sampled_from(
    ["1", "0", "-1", "0.0001", "1e400", "-1e-400", "nan", "NaN", "inf", "-Infinity", "1_0",
     "", " 5", "0x10", "1/3", "9" * 80, "١٢", "½", "\u0000", "1e99999999"]
)  # fmt: skip
_SCALAR = st.one_of(
    _DECIMALISH,
    st.text(max_size=12),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
    max_leaves=4,
)

_INSTRUMENT_KEYS = [
    "instrument", "venue", "symbol", "tick_size", "lot_size", "multiplier",
    "base_currency", "quote_currency", "settlement_currency", "ts_event", "kind", "extra",
]  # fmt: skip


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, int):
        return str(value)  # out of TOML's 64-bit range on purpose sometimes
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's (a lone surrogate is not)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    pairs = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
    return "{" + pairs + "}"


def _document(sections: list[tuple[str, list[tuple[str, Any]]]]) -> str:
    lines = []
    for header, pairs in sections:
        lines.append(header)
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in pairs)
    return "\n".join(lines) + "\n"


def _pairs(keys: list[str]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    return st.lists(st.tuples(st.sampled_from(keys), _VALUE), max_size=6, unique_by=lambda p: p[0])


_INSTRUMENTS_DOC = st.lists(
    st.tuples(
        st.sampled_from(["[[instrument]]", "[instrument]", "[[other]]"]), _pairs(_INSTRUMENT_KEYS)
    ),
    max_size=3,
).map(_document)
_SURVEILLANCE_DOC = st.lists(
    st.tuples(st.just(""), _pairs([*SurveillanceConfig.__struct_fields__, "typo"])), max_size=1
).map(_document)
_RAW = st.one_of(st.text(max_size=200), st.binary(max_size=200))


def _refusal(loader: Callable[[Path], object], path: Path) -> str | None:
    """None when the file parsed, else the TapelineError's message; anything else raises."""
    try:
        loader(path)
    except TapelineError as refused:
        return str(refused)
    return None


def _offer(loader: Callable[[Path], object], content: str | bytes) -> None:
    """Any other exception than TapelineError fails the test with the document in hand."""
    ledger.add(ledger.HOSTILE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.toml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        message = _refusal(loader, path)
    if message is not None:
        assert message.strip(), "a refusal must say why"


@settings(max_examples=150, deadline=None)
@given(st.one_of(_INSTRUMENTS_DOC, _RAW))
def test_instrument_files_parse_or_are_refused_clearly(content: str | bytes) -> None:
    _offer(load_instruments_toml, content)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_SURVEILLANCE_DOC, _RAW))
def test_surveillance_files_parse_or_are_refused_clearly(content: str | bytes) -> None:
    _offer(load_surveillance, content)

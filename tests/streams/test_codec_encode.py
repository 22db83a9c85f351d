"""``encode_payload`` writes what pydantic writes, and a flat kind's struct is what its
bytes decode to: the runtime folds that struct in place of a decode of what it encoded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from pydantic import PlainSerializer, field_serializer

from schemas import KINDS, Record
from schemas.types import Dec
from streams.codec import _flat_struct, _is_flat, decode_payload, encode_payload, flat_struct
from tests.strategies import any_record


def _exact(struct: Any) -> list[tuple[str, type, str]]:
    """Field values by type and text: Decimal('1.0') == Decimal('1.00'), but the state
    encodes them apart, so equality alone would not prove the round trip exact."""
    return [
        (name, type(value), str(value)) for name, value in msgspec.structs.asdict(struct).items()
    ]


@settings(max_examples=600, deadline=None)
@given(any_record)
def test_encoded_bytes_are_pydantics(record: Record) -> None:
    assert encode_payload(record) == record.model_dump_json().encode()


@settings(max_examples=600, deadline=None)
@given(any_record)
def test_a_flat_struct_is_what_its_bytes_decode_to(record: Record) -> None:
    flat = flat_struct(record)
    if flat is None:
        assert record.KIND in {"compliance_alert", "pnl_snapshot"}
        return
    assert encode_payload(record, flat) == record.model_dump_json().encode()
    decoded = decode_payload(record.KIND, encode_payload(record, flat))
    assert type(decoded) is type(flat)
    assert _exact(decoded) == _exact(flat)


def test_exponents_survive_the_round_trip() -> None:
    quote = KINDS["quote"].model_validate(
        {
            "kind": "quote",
            "instrument": "x:Y",
            "bid": "1.10",
            "ask": "1E+2",
            "bid_size": "0.0000001",
            "ask_size": "5",
            "ts_event": 1,
            "ts_recv": 1,
        }
    )
    flat = flat_struct(quote)
    assert encode_payload(quote, flat) == quote.model_dump_json().encode()
    assert _exact(decode_payload("quote", encode_payload(quote))) == _exact(flat)


def test_only_nested_kinds_are_encoded_by_pydantic() -> None:
    assert {kind for kind, model in KINDS.items() if _flat_struct(model) is None} == {
        "compliance_alert",
        "pnl_snapshot",
    }


class _Renamed(Record):
    kind: str = "renamed"
    amount: Dec

    @field_serializer("amount")
    def _amount(self, value: Decimal) -> str:
        return f"{value:f}"


def test_a_model_with_its_own_serializer_is_left_to_pydantic() -> None:
    assert _flat_struct(_Renamed) is None


@pytest.mark.parametrize(
    ("annotation", "metadata"),
    [
        (Decimal, []),  # no str serializer: pydantic's default decimal format
        (Decimal, [PlainSerializer(lambda d: f"{d:f}", return_type=str, when_used="json")]),
        (list[str], []),
        (dict[str, str], []),
        (float, []),
        (int, [PlainSerializer(str, return_type=str, when_used="json")]),
    ],
)
def test_types_msgspec_may_write_differently_are_not_flat(
    annotation: Any, metadata: list[Any]
) -> None:
    assert not _is_flat(annotation, metadata)


def test_flat_types() -> None:
    for annotation in (str, int, bool, type(None), Dec, Dec | None):
        assert _is_flat(annotation, [])

"""Every record kind survives a wire round trip; bad input is refused with a reason."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings

from schemas import KINDS, Envelope, Record, SchemaError, Upcasters, validate_record
from streams.codec import decode_payload
from tests import factories
from tests.strategies import any_record


@settings(max_examples=400, deadline=None)
@given(any_record)
def test_every_kind_survives_the_wire(record: Record) -> None:
    wire = record.model_dump_json()
    again = validate_record(json.loads(wire))
    assert again == record
    assert again.model_dump_json() == wire


@settings(max_examples=400, deadline=None)
@given(any_record)
def test_fast_decoder_gives_the_same_values_as_pydantic(record: Record) -> None:
    fast = decode_payload(record.KIND, record.model_dump_json().encode())
    expected = {name: getattr(record, name) for name in type(record).model_fields}
    assert msgspec.structs.asdict(fast) == expected


def test_every_kind_has_a_distinct_discriminator() -> None:
    assert len(KINDS) == len({model.KIND for model in KINDS.values()})
    assert all(kind == model.KIND for kind, model in KINDS.items())


def test_envelope_carries_a_payload_by_kind() -> None:
    fill = factories.fill()
    envelope = Envelope(
        topic="exec.reports", partition=0, offset=0, key="ACC-1", kind="fill",
        schema_version=1, event_id="fill:ACC-1:X-1", ts_event=fill.ts_event,
        ts_ingest=fill.ts_event, payload=fill,
    )  # fmt: skip
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope


def _fill_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(factories.fill().model_dump_json())
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qty": 0.25}, "field qty: decimals are JSON strings"),
        ({"qty": "NaN"}, "field qty: decimal must be finite"),
        ({"price": "Infinity"}, "field price: decimal must be finite"),
        ({"qty": "-1"}, "field qty: Input should be greater than 0"),
        ({"qty": "1e20"}, "absurdly large"),
        ({"qty": "abc"}, "field qty: not a decimal number"),
        ({"ts_event": "yesterday"}, "field ts_event"),
        ({"ts_event": -5}, "field ts_event"),
        ({"ts_event": 1.5}, "field ts_event"),
        ({"side": "long"}, "field side"),
        ({"venue": "x"}, "field venue: Extra inputs are not permitted"),
        ({"kind": "nope"}, "field kind: unknown kind 'nope'"),
        ({"kind": None}, "field kind: missing"),
    ],
)
def test_bad_fields_are_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        validate_record(_fill_data(**changes))


def test_missing_field_is_named() -> None:
    data = _fill_data()
    del data["exec_id"]
    with pytest.raises(SchemaError, match="field exec_id: Field required"):
        validate_record(data)


def test_crossed_quote_is_refused() -> None:
    with pytest.raises(ValueError, match="crossed quote"):
        factories.quote(bid="10001", ask="10000")


def test_decimals_stay_exact() -> None:
    fill = validate_record(_fill_data(qty="0.1", price="0.2"))
    assert fill.qty + fill.price == Decimal("0.3")  # type: ignore[attr-defined]


def test_old_schema_version_without_upcaster_is_refused() -> None:
    with pytest.raises(SchemaError, match="no upcaster from fill v0 to v1"):
        validate_record(_fill_data(schema_version=0))


def test_newer_schema_version_is_refused() -> None:
    with pytest.raises(SchemaError, match="newer than this build"):
        validate_record(_fill_data(schema_version=2))


def test_upcaster_chain_is_applied_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    from schemas import upcasters as module

    monkeypatch.setitem(module.SCHEMA_VERSIONS, "fill", 3)
    registry = Upcasters()

    def v1_to_v2(data: dict[str, object]) -> dict[str, object]:
        data["qty"] = data.pop("quantity")
        return data

    def v2_to_v3(data: dict[str, object]) -> dict[str, object]:
        data.setdefault("fee_currency", "USDT")
        return data

    registry.register("fill", 1, v1_to_v2)
    registry.register("fill", 2, v2_to_v3)
    old = _fill_data(schema_version=1, quantity="2")
    del old["qty"]
    del old["fee_currency"]
    upgraded = validate_record(old, registry)
    assert upgraded == factories.fill(qty="2")
    with pytest.raises(ValueError, match="already registered"):
        registry.register("fill", 1, v1_to_v2)

"""Fast decoding of journal payloads.

Records in the log were validated by pydantic when they were appended, so the read path
does not validate them again: it decodes with msgspec Structs generated from the pydantic
models, field for field (same names, same types, same defaults). The structs expose the
same attributes as the models, which is all a fold reads. ``tests/streams/test_codec.py``
proves both decoders give the same values for every kind.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from pydantic import PlainSerializer
from pydantic_core import PydanticUndefined

from schemas import KINDS, Record
from streams.errors import CorruptRecordError


def _struct_for(model: type[Record]) -> type[msgspec.Struct]:
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if info.default is PydanticUndefined:
            fields.append((name, info.annotation))
        else:
            fields.append((name, info.annotation, info.default))
    return msgspec.defstruct(
        f"Fast{model.__name__}", fields, frozen=True, kw_only=True, forbid_unknown_fields=True
    )


FAST_TYPES: dict[str, type[msgspec.Struct]] = {kind: _struct_for(m) for kind, m in KINDS.items()}
_DECODERS = {kind: msgspec.json.Decoder(t) for kind, t in FAST_TYPES.items()}


_ENCODER = msgspec.json.Encoder(decimal_format="string")


def _serializers(metadata: list[Any]) -> list[Any]:
    return [m for m in metadata if type(m).__name__.endswith("Serializer")]


def _is_flat(annotation: Any, metadata: list[Any]) -> bool:
    """Whether pydantic writes a value of this type as msgspec does: str, int, bool, None,
    string literals, and Decimals whose only serializer is ``str`` (schemas.types)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _is_flat(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        return all(_is_flat(arg, metadata) for arg in args)
    if origin is typing.Literal:
        return all(type(arg) is str for arg in args)
    supertype = getattr(annotation, "__supertype__", None)
    if supertype is not None:
        return _is_flat(supertype, metadata)
    serializers = _serializers(metadata)
    if annotation is Decimal:
        return len(serializers) == 1 and _is_str_serializer(serializers[0])
    return annotation in (str, int, bool, type(None)) and not serializers


def _is_str_serializer(serializer: Any) -> bool:
    return (
        isinstance(serializer, PlainSerializer)
        and serializer.func is str
        and serializer.when_used == "json"
    )


def _flat_struct(model: type[Record]) -> type[msgspec.Struct] | None:
    """The fast struct that encodes ``model`` byte for byte as ``model_dump_json``, or None
    when the model has anything msgspec would write differently."""
    decorators = model.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or decorators.computed_fields:
        return None
    for name, field in model.model_fields.items():
        if field.alias not in (None, name) or field.serialization_alias not in (None, name):
            return None
        if field.exclude or not _is_flat(field.annotation, list(field.metadata)):
            return None
    return FAST_TYPES[model.KIND]


_FLAT_STRUCTS: dict[type[Record], type[msgspec.Struct]] = {
    model: struct for model in KINDS.values() if (struct := _flat_struct(model)) is not None
}


def flat_struct(record: Record) -> Any:
    """The fast struct of a record of a flat kind (all but nested ones), else None.

    For these kinds it is what decoding the record's bytes gives: the same type, equal
    values (a Decimal's string form survives the round trip), so an agent can fold it in
    place of a decode of what it just encoded. Building it checks the names: a model
    with a field too many or too few fails loudly."""
    struct = _FLAT_STRUCTS.get(type(record))
    return None if struct is None else struct(**record.__dict__)


def encode_payload(record: Record, flat: Any = None) -> bytes:
    """``record.model_dump_json().encode()``, in about 40 % of the time for flat kinds: their
    fast struct encodes to the same bytes (``tests/streams/test_codec_encode.py`` checks
    every kind). ``flat``: ``flat_struct(record)`` if the caller has it already."""
    if flat is None:
        flat = flat_struct(record)
        if flat is None:
            return record.model_dump_json().encode()
    return _ENCODER.encode(flat)


def decoder_for(kind: str) -> Callable[[bytes | str], Any] | None:
    """The raw decode of one kind, for loops that look it up once per kind (replay): it
    raises ``msgspec.DecodeError`` where ``decode_payload`` raises CorruptRecordError."""
    decoder = _DECODERS.get(kind)
    return None if decoder is None else decoder.decode


def decode_payload(kind: str, payload: bytes | str) -> Any:
    """An object with the attributes of ``KINDS[kind]``, decoded without re-validation."""
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise CorruptRecordError(f"unknown kind {kind!r} in the log")
    try:
        return decoder.decode(payload)
    except msgspec.DecodeError as error:
        raise CorruptRecordError(f"{kind} payload does not decode: {error}") from None


NATURAL_IDS: dict[str, Callable[[Any], str]] = {
    kind: model.natural_id
    for kind, model in KINDS.items()
    if model.natural_id is not Record.natural_id
}
"""Kinds with an identity of their own, and the schema's ``natural_id`` that gives it.

The schema method is the one definition: it reads only attributes, so it runs unchanged
on the fast structs, as a plain function (no pydantic machinery on the way)."""


def fact_id(event_id: str, event: Any) -> str:
    """What makes a record a repeat of one already folded: for kinds with an identity of
    their own (a fill: account and ExecID) that identity, whatever event id the record
    came with (a drop copy, a re-sent report); for every other kind its event id."""
    natural = NATURAL_IDS.get(event.kind)
    return event_id if natural is None else natural(event)

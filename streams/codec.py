"""Fast decoding of journal payloads.

Records in the log were validated by pydantic when they were appended, so the read path
does not validate them again: it decodes with msgspec Structs generated from the pydantic
models, field for field (same names, same types, same defaults). The structs expose the
same attributes as the models, which is all a fold reads. ``tests/streams/test_codec.py``
proves both decoders give the same values for every kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
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

"""Hypothesis strategies: a valid record of every kind, built from the models' fields."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from schemas import KINDS, Record, SchemaError, validate_record

ids = st.text(alphabet="ABCXYZabc0123456789-_:.", min_size=1, max_size=24)
timestamps = st.integers(min_value=0, max_value=2**62)


def decimals(positive: bool = False, non_negative: bool = False) -> st.SearchStrategy[str]:
    low = Decimal("0.00000001") if positive else Decimal(0) if non_negative else Decimal("-1e9")
    values = st.decimals(
        min_value=low, max_value=Decimal("1e9"), places=8, allow_nan=False, allow_infinity=False
    )
    return values.map(lambda d: format(d.normalize() if d else Decimal(0), "f"))


def _bounds(metadata: list[Any]) -> tuple[bool, bool]:
    positive = any(getattr(m, "gt", None) == 0 for m in metadata)
    non_negative = any(getattr(m, "ge", None) == 0 for m in metadata)
    return positive, non_negative


def _for_annotation(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _for_annotation(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        inner = st.one_of(*(_for_annotation(a, metadata) for a in options))
        return st.none() | inner if type(None) in args else inner
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(ids, min_size=1, max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(ids, decimals(), max_size=3)
    supertype = getattr(annotation, "__supertype__", None)
    if supertype is not None:
        return _for_annotation(supertype, metadata)
    if annotation is Decimal:
        return decimals(*_bounds(metadata))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return timestamps
    if annotation is str:
        return ids
    raise TypeError(f"no strategy for {annotation!r}")


def _fields(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        if name == "kind":
            continue
        strategy = _for_annotation(info.annotation, list(info.metadata))
        if info.default is not PydanticUndefined:
            strategy = st.just(info.default) | strategy
        fields[name] = strategy
    return st.fixed_dictionaries(fields)


def _valid(kind: str, data: dict[str, Any]) -> Record | None:
    data = {"kind": kind, **data}
    if kind == "instrument":
        data["instrument"] = f"{data['venue']}:{data['symbol']}"
    if kind == "submit_order":
        data["limit_price"] = data["limit_price"] if data["order_type"] == "limit" else None
        if data["order_type"] == "limit" and data["limit_price"] is None:
            data["limit_price"] = "1"
    if kind == "quote" and Decimal(data["bid"]) > Decimal(data["ask"]):
        data["bid"], data["ask"] = data["ask"], data["bid"]
    try:
        return validate_record(data)
    except SchemaError:
        return None


def records(kind: str) -> st.SearchStrategy[Record]:
    return (
        _fields(KINDS[kind])
        .map(lambda data: _valid(kind, data))
        .filter(lambda record: record is not None)  # type: ignore[arg-type, return-value]
    )


any_record: st.SearchStrategy[Record] = st.sampled_from(sorted(KINDS)).flatmap(records)

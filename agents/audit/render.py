"""Printing audit answers as a terminal table, JSON (a list of objects) or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), default=_plain)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Every column given (in order); nested values (a record, fees) as compact JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=_plain, separators=(",", ":"))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def all_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)

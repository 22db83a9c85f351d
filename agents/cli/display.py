"""Printing rows as rich tables: long decimals rounded for the eye (JSON stays exact)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from rich.table import Table

from agents.cli.common import out


def print_rows(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...] | None) -> None:
    if not rows:
        out.print(f"{title}: no rows")
        return
    names = columns or tuple(rows[0])
    view = Table(*names, title=title)
    for row in rows:
        view.add_row(*(_cell(row.get(name)) for name in names))
    out.print(view)


DISPLAY_PLACES = 6
"""Terminal tables round long decimals to this many places; JSON output stays exact."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return _rounded(value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return (
            f"{len(value)} items"
            if value and isinstance(value[0], dict)
            else ", ".join(map(str, value)) or "-"
        )
    return str(value)


def _rounded(text: str) -> str:
    _, dot, fraction = text.partition(".")
    if not dot or len(fraction) <= DISPLAY_PLACES or not fraction.isdigit():
        return text
    try:
        return f"{round(Decimal(text), DISPLAY_PLACES):f}"
    except InvalidOperation:
        return text

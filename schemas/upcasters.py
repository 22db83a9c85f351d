"""Schema versions and the explicit functions that bring old records up to date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.errors import UpcastError

CURRENT_SCHEMA_VERSION = 1
"""Every kind is at version 1 today; a kind that changes gets its own entry below."""

SCHEMA_VERSIONS: dict[str, int] = {}
"""Kinds whose current version differs from CURRENT_SCHEMA_VERSION."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def current_version(kind: str) -> int:
    return SCHEMA_VERSIONS.get(kind, CURRENT_SCHEMA_VERSION)


class Upcasters:
    """Maps (kind, version) to a function that returns the record at version + 1."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, kind: str, from_version: int, step: Upcaster) -> None:
        if (kind, from_version) in self._steps:
            raise ValueError(f"an upcaster for {kind} v{from_version} is already registered")
        self._steps[(kind, from_version)] = step

    def upcast(self, kind: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
        target = current_version(kind)
        if version > target:
            raise UpcastError(
                f"field schema_version: {kind} v{version} is newer than this build "
                f"understands (v{target}); upgrade tapeline"
            )
        while version < target:
            step = self._steps.get((kind, version))
            if step is None:
                raise UpcastError(
                    f"field schema_version: no upcaster from {kind} v{version} "
                    f"to v{version + 1}; register one in schemas.upcasters"
                )
            data = step(dict(data))
            version += 1
        return data


UPCASTERS = Upcasters()
"""The process-wide registry the journal and the CLI use."""

"""Dead-letter records: what could not be taken or processed, and why."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Id


class DeadLetter(Record):
    """``origin`` says where it came from: a topic offset, or a file line."""

    kind: Literal["dead_letter"] = "dead_letter"
    origin_topic: Id
    origin_offset: int | None = None
    origin: str
    agent: Id | None = None
    error: str
    raw: str

"""What every venue parser hands back: a tick with its sequence position, or a Problem.

A bad input is data, not an exception: the feed driver turns a ``Problem`` into a
``DeadLetter`` and keeps reading. Exceptions out of this package mean a bug.
"""

from __future__ import annotations

import msgspec

from schemas import DeadLetter, Quote, TapelineError, Trade

RAW_LIMIT = 300
"""Characters of the offending input kept on a Problem: enough to diagnose, bounded."""


class BadInput(TapelineError):
    """Raised inside a parser for one bad field; always caught and turned into a Problem."""


class Problem(msgspec.Struct, frozen=True):
    """One input (a file line or a message) that could not become a tick, and why.

    ``line_number`` is the 1-based line in a file, ``None`` for a websocket message;
    ``source`` names the file or the venue.
    """

    line_number: int | None
    reason: str
    raw: str
    source: str = ""

    @property
    def origin(self) -> str:
        if self.line_number is None:
            return self.source or "message"
        return f"{self.source or 'input'}:{self.line_number}"

    def to_dead_letter(self, ts_event: int, origin_topic: str = "md.raw") -> DeadLetter:
        """The dead-letter record the feed driver appends (time comes from the caller)."""
        return DeadLetter(
            origin_topic=origin_topic,
            origin=self.origin,
            agent="normalizer",
            error=self.reason,
            raw=self.raw,
            ts_event=ts_event,
        )


class Sequenced(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed tick and its place in the venue's sequence (``seq`` None: none given)."""

    tick: Trade | Quote
    channel: str
    seq: int | None = None


def clip(raw: str) -> str:
    return raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT] + "..."


def raw_text(raw: object) -> str:
    """A printable, bounded rendering of any input (bytes that are not UTF-8 included)."""
    if isinstance(raw, str):
        return clip(raw)
    if isinstance(raw, bytes | bytearray):
        return clip(bytes(raw).decode("utf-8", errors="backslashreplace"))
    return clip(repr(raw))

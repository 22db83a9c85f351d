"""Errors of the plumbing layer; all derive from the one root, ``TapelineError``."""

from schemas import TapelineError


class LogError(TapelineError):
    """The log cannot do what was asked (bad topic, bad offset, backend failure)."""


class CorruptRecordError(TapelineError):
    """A record in the log cannot be decoded: a bug or tampering."""


class ChainBrokenError(TapelineError):
    """The journal's hash chain does not verify; replay refuses it without --force."""

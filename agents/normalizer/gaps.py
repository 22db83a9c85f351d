"""Sequence gap detection per (venue, channel, symbol).

The first number seen on a feed sets the expectation. A number above the expected one
means messages were lost: a ``MarketDataGap`` is emitted and the expectation moves past
it. A number below it is a duplicate or a reordering: it is a ``Problem`` (the message
carries nothing new for this feed), never a gap, and the expectation stays put.
"""

from __future__ import annotations

from agents.normalizer.parsed import Problem
from schemas import InstrumentId, MarketDataGap


class GapDetector:
    def __init__(self) -> None:
        self._expected: dict[tuple[str, str], int] = {}

    def expected(self, instrument: str, channel: str) -> int | None:
        return self._expected.get((instrument, channel))

    def observe(
        self,
        instrument: InstrumentId,
        channel: str,
        seq: int,
        *,
        ts_event: int,
        ts_recv: int,
        raw: str = "",
    ) -> MarketDataGap | Problem | None:
        """None when ``seq`` is the next one (or the first); else the gap or the Problem."""
        key = (instrument, channel)
        expected = self._expected.get(key)
        if expected is not None and seq < expected:
            reason = (
                f"{channel} sequence {seq} of {instrument} is below the expected {expected}: "
                "a duplicate or out-of-order message, dropped"
            )
            return Problem(None, reason, raw, instrument.partition(":")[0])
        self._expected[key] = seq + 1
        if expected is None or seq == expected:
            return None
        return MarketDataGap(
            instrument=instrument,
            channel=channel,
            expected_seq=expected,
            received_seq=seq,
            ts_event=ts_event,
            ts_recv=ts_recv,
        )

"""Alternative data on the wire, and a seeded synthetic feed of it.

An ``alt.raw`` record is a ``schemas.AltDataPoint``. As JSONL (``tapeline log append
--topic alt.raw FILE.jsonl``), one object per line, the value an exact decimal string:

    {"kind": "alt_point", "source": "synthetic-funding", "metric": "funding_rate",
     "subject": "binance-futures:BTCUSDT", "value": "0.000125", "ts_event": 1700000000000000000}

As CSV, a header line then one point per line, same fields and meaning:

    source,metric,subject,value,ts_event
    synthetic-news,news_sentiment,binance-futures:BTCUSDT,-0.4213,1700000000000000000

``ts_event`` is UTC integer ns; ``value`` is parsed as a Decimal, never a float.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from schemas import AltDataPoint, TapelineError

CSV_FIELDS = ("source", "metric", "subject", "value", "ts_event")
FUNDING_SOURCE = "synthetic-funding"
NEWS_SOURCE = "synthetic-news"
FUNDING_INTERVAL_NS = 8 * 3600 * 1_000_000_000
NEWS_GAP_NS = 600 * 1_000_000_000


def synthetic_alt(
    seed: int, subjects: Sequence[str], start_ts: int, count: int
) -> list[AltDataPoint]:
    """``count`` points, the same for the same arguments: funding rates every 8 h per
    subject (a small random walk, 6 places) and news sentiment in [-1, 1] (4 places) at
    random gaps, interleaved in time order."""
    if not subjects:
        raise TapelineError("synthetic_alt needs at least one subject")
    rng = random.Random(seed)  # noqa: S311
    rates = {subject: rng.randint(-50, 150) for subject in subjects}
    points: list[AltDataPoint] = []
    news_ts = start_ts
    funding = 0
    while len(points) < count:
        if len(points) % 2 == 0:
            subject = subjects[funding % len(subjects)]
            rates[subject] += rng.randint(-20, 20)
            points.append(
                AltDataPoint(
                    source=FUNDING_SOURCE,
                    metric="funding_rate",
                    subject=subject,
                    value=Decimal(rates[subject]).scaleb(-6),
                    ts_event=start_ts + (funding // len(subjects) + 1) * FUNDING_INTERVAL_NS,
                )
            )
            funding += 1
        else:
            news_ts += rng.randint(1, NEWS_GAP_NS)
            points.append(
                AltDataPoint(
                    source=NEWS_SOURCE,
                    metric="news_sentiment",
                    subject=rng.choice(subjects),
                    value=Decimal(rng.randint(-10_000, 10_000)).scaleb(-4),
                    ts_event=news_ts,
                )
            )
    return sorted(points, key=lambda point: (point.ts_event, point.source, point.subject))


def parse_alt_csv(lines: Iterable[str]) -> list[AltDataPoint]:
    """Points from the CSV shape above; a bad line is an error naming its number."""
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != CSV_FIELDS:
        raise TapelineError(f"alt CSV header must be {','.join(CSV_FIELDS)}")
    points = []
    for number, row in enumerate(reader, start=2):
        try:
            points.append(
                AltDataPoint(
                    source=row["source"],
                    metric=row["metric"],
                    subject=row["subject"],
                    value=Decimal(row["value"]),
                    ts_event=int(row["ts_event"]),
                )
            )
        except (ValueError, InvalidOperation) as error:
            raise TapelineError(f"line {number}: {error}") from None
    return points

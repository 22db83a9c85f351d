from __future__ import annotations

import pytest

from streams.partitioning import murmur2, partition_for


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # Kafka's own UtilsTest vectors for Utils.murmur2
        ("21", -973932308),
        ("foobar", -790332482),
        ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        ("abc", 479470107),
    ],
)
def test_murmur2_matches_kafka(key: str, expected: int) -> None:
    assert murmur2(key.encode()) == expected


def test_partition_is_stable_and_in_range() -> None:
    for n in (1, 3, 8):
        for key in ("ACC-1", "ACC-2", "binance-futures:BTCUSDT", ""):
            p = partition_for(key, n)
            assert 0 <= p < n
            assert p == partition_for(key, n)

"""The histogram arithmetic of fast_stats on its own: percentile_cont of merged log-binned
histograms is within 0.5 % of the exact one (the bound the module docstring proves), for
several groups at once, with repeated bins across parts and cancelling (negative) entries."""

from __future__ import annotations

import math
import random
import struct

import numpy as np

from servicekit.loghist import GAMMA, MIN_SECONDS, percentiles


def bin_of(x: float) -> int:  # the SQL report_stats_bin
    if abs(x) < MIN_SECONDS:
        return 0
    return int(math.copysign(1 + math.floor(math.log(abs(x) / MIN_SECONDS) / math.log(GAMMA)), x))


def packed(entries: list[tuple[int, int]]) -> bytes:
    return b"".join(struct.pack(">ii", b, n) for b, n in entries)


def exact(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q * 100, method="linear"))


def test_merged_histograms_give_percentile_cont_within_half_a_percent() -> None:
    rng = random.Random(16)
    groups = [
        [rng.expovariate(1 / 3600) for _ in range(2000)],
        [rng.uniform(0, 96 * 3600) for _ in range(57)],
        [0.0, 0.004, 12.5, 12.5, 7200.0],
        [42.0],
    ]
    histograms: list[bytes] = []
    owners: list[int] = []
    for number, values in enumerate(groups):
        # Each group arrives in several parts (cells), bins repeating across parts.
        for start in range(0, len(values), 300):
            histograms.append(packed([(bin_of(v), 1) for v in values[start : start + 300]]))
            owners.append(number)
    # A change row pair that cancels: +1 and -1 of the same value in different parts.
    histograms += [packed([(bin_of(999.0), 1)]), packed([(bin_of(999.0), -1)])]
    owners += [1, 1]
    histograms.append(b"")  # an empty histogram (a cell with no accepted report)
    owners.append(3)
    result = percentiles(histograms, owners, len(groups) + 1, (0.5, 0.9))
    for number, values in enumerate(groups):
        for column, q in enumerate((0.5, 0.9)):
            got, want = result[number][column], exact(values, q)
            assert got is not None
            assert abs(got - want) <= 0.005 * abs(want) + MIN_SECONDS, (number, q, got, want)
    assert result[len(groups)] == [None, None]  # a group without any value

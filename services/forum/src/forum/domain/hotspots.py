"""Burst detection (未诉先办): a keyword rising in one building against its own baseline.

Mentions are counted per (building, keyword) and community-local day. A window of 1 to 3 days
ending on a day is a hotspot when its count is improbable under the keyword's own rate over the
previous weeks (a Poisson tail below `max_p`), with a floor rate so that a word never heard
before needs several mentions, and `min_count` mentions at least. After a detection the same
(building, keyword) is quiet for `cooldown_days`, so one burst is one hotspot.

Plain Python: the service runs it on the counts it keeps in PostgreSQL, the offline command on a
JSON-lines corpus, with the same result.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

SeriesKey = tuple[str | None, str]  # (building, keyword)


@dataclass(frozen=True)
class Burst:
    keyword: str
    building: str | None
    start: date
    end: date  # exclusive
    count: int
    baseline: float
    score: float  # -log10 of the tail probability: how surprising the window is


def poisson_log10_sf(count: int, expected: float) -> float:
    """log10 P(X >= count) for X ~ Poisson(expected), stable for large counts."""
    if count <= 0:
        return 0.0
    log_term = -expected + count * math.log(expected) - math.lgamma(count + 1)
    total, term, k = 1.0, 1.0, count
    while term > 1e-12 and k < count + 10_000:
        k += 1
        term *= expected / k
        total += term
    return min(0.0, (log_term + math.log(total)) / math.log(10))


@dataclass
class BurstDetector:
    baseline_days: int = 28
    windows: tuple[int, ...] = (1, 2, 3)
    min_count: int = 5
    max_log10_p: float = -6.0
    floor_rate: float = 0.1  # mentions per day assumed for a keyword with no history
    cooldown_days: int = 14

    def _sum(self, days: list[date], prefix: list[int], first: date, last_exclusive: date) -> int:
        lo = bisect.bisect_left(days, first)
        hi = bisect.bisect_left(days, last_exclusive)
        return prefix[hi] - prefix[lo]

    def _evaluate(
        self, days: list[date], prefix: list[int], end_day: date, *, keyword: str, building: str | None
    ) -> Burst | None:
        best: Burst | None = None
        end = end_day + timedelta(days=1)
        for width in self.windows:
            start = end - timedelta(days=width)
            count = self._sum(days, prefix, start, end)
            if count < self.min_count:
                continue
            history = self._sum(days, prefix, start - timedelta(days=self.baseline_days), start)
            rate = max(self.floor_rate, history / self.baseline_days)
            expected = rate * width
            # Cheap prune: a window within three standard deviations never has a tail as small
            # as max_log10_p (the Poisson tail is heavier than the normal one, never that heavy).
            if count <= expected + 3 * math.sqrt(expected):
                continue
            log_p = poisson_log10_sf(count, expected)
            if log_p <= self.max_log10_p and (best is None or -log_p > best.score):
                best = Burst(keyword, building, start, end, count, round(expected, 3), round(-log_p, 3))
        return best

    def scan(
        self,
        counts: Mapping[SeriesKey, Mapping[date, int]],
        *,
        since: date | None = None,
        until: date | None = None,
        quiet_until: Mapping[SeriesKey, date] | None = None,
    ) -> list[Burst]:
        """Every burst whose window ends in [since, until], oldest first. `quiet_until` carries
        cooldowns from detections made earlier (the service's stored hotspots)."""
        found: list[Burst] = []
        for key, series in counts.items():
            building, keyword = key
            days = sorted(d for d, c in series.items() if c > 0)
            prefix = [0]
            for d in days:
                prefix.append(prefix[-1] + series[d])
            quiet = (quiet_until or {}).get(key)
            for end_day in days:
                if (since is not None and end_day < since) or (until is not None and end_day > until):
                    continue
                if quiet is not None and end_day < quiet:
                    continue
                burst = self._evaluate(days, prefix, end_day, keyword=keyword, building=building)
                if burst is not None:
                    found.append(burst)
                    quiet = burst.end + timedelta(days=self.cooldown_days)
        found.sort(key=lambda b: (b.start, b.building or "", b.keyword))
        return found


@dataclass
class MentionCounter:
    """Per-(building, keyword) daily counts with the ids of the texts behind them."""

    counts: dict[SeriesKey, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))
    evidence: dict[tuple[SeriesKey, date], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, building: str | None, day: date, keywords: Iterable[str], source_id: str) -> None:
        for keyword in keywords:
            series = self.counts[(building, keyword)]
            series[day] = series.get(day, 0) + 1
            self.evidence[((building, keyword), day)].append(source_id)

    def evidence_between(self, building: str | None, keyword: str, start: date, end: date) -> list[str]:
        ids: list[str] = []
        day = start
        while day < end:
            ids.extend(self.evidence.get(((building, keyword), day), []))
            day += timedelta(days=1)
        return ids


@dataclass(frozen=True)
class Hotspot:
    """One burst as residents would name it, with the other words of the same posts."""

    burst: Burst
    related: tuple[str, ...]
    evidence: tuple[str, ...]


EvidenceLookup = Callable[[str | None, str, date, date], Iterable[str]]


def group_bursts(
    bursts: Iterable[Burst],
    evidence: EvidenceLookup,
    preferred: Iterable[str] = (),
    overlap: float = 0.5,
    slack_days: int = 3,
) -> list[Hotspot]:
    """Merge bursts of one building that are about the same posts.

    The posts of one burst ("广场舞音乐太吵了") raise every word in them, not always on the same
    day; residents need one hotspot named by the word that says what it is about: a
    community-dictionary word first, then the most surprising one. Two bursts within
    `slack_days` of each other are one when most of the posts mentioning the rarer word around
    then also mention the other (`evidence(building, keyword, start, end)` gives the ids).
    """
    chosen = set(preferred)
    slack = timedelta(days=slack_days)
    by_building: dict[str | None, list[Burst]] = defaultdict(list)
    for burst in bursts:
        by_building[burst.building].append(burst)
    result: list[Hotspot] = []
    for building, items in by_building.items():
        items.sort(key=lambda b: (b.keyword not in chosen, -b.score, -b.count))
        groups: list[tuple[Burst, list[str]]] = []
        for burst in items:
            for lead, related in groups:
                if not (burst.start <= lead.end + slack and lead.start <= burst.end + slack):
                    continue
                first, last = min(burst.start, lead.start) - slack, max(burst.end, lead.end) + slack
                mine = set(evidence(building, burst.keyword, first, last))
                theirs = set(evidence(building, lead.keyword, first, last))
                if len(mine & theirs) >= overlap * max(1, min(len(mine), len(theirs))):
                    related.append(burst.keyword)
                    break
            else:
                groups.append((burst, []))
        for lead, related in groups:
            ids = evidence(building, lead.keyword, lead.start, lead.end)
            result.append(Hotspot(lead, tuple(sorted(related)), tuple(sorted(set(ids)))))
    result.sort(key=lambda h: (h.burst.start, h.burst.building or "", h.burst.keyword))
    return result

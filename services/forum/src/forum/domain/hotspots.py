"""Burst detection (未诉先办): a topic rising in one building, heard the way a social worker would.

Mentions are counted per (building, keyword) and community-local day, where a keyword is a topic
of the lexicon (电梯: 電梯, 电梯坏了, 困人 ...) or, failing one, a word of the text that is not a
stop word. Praise and greetings are not counted (a day of thanks for the new heating is no
complaint burst); repair reports count as complaints.

A window of 1 to 4 days ending on a day is a burst when its count is improbable (a Poisson tail
below `max_log10_p`) under the building's rate for the keyword, estimated with the
community-wide rate as the prior (empirical Bayes, Gamma-Poisson):

    community rate per building-day  λc = (Hc + floor·n·m0) / (n·(L + m0))
    building rate                    λb = (Hb + λc·m) / (L + m)

with Hb, Hc the building's and the community's counts over the last L days before the window
(L up to `history_days`, fewer in a young community; the community's rate of its last week when
that is higher, as when the heating season starts), n buildings, `floor` the rate assumed for
a topic nobody has mentioned yet (about once a month), m0 and m the weight of each prior in days.
So a new building or a new community is not blind (no warm-up), a building that always talks
about its lift needs more, and a quiet building is heard at two or three posts a day. A burst
needs `min_count` mentions over at least `min_days` days (a single thread of neighbours on one
afternoon is not yet a burst) unless one day alone has `one_day_count`, and at least half of its
posts must read as complaints (40 %). Words that are no topic need far more (`word_*`). Three reports
of one category in one building within two days are a burst whatever the history. After a
detection the same (building, keyword) is quiet for `cooldown_days`: one burst, one hotspot.

Plain Python: the service runs it on the mentions it keeps in PostgreSQL, the offline command on a
JSON-lines corpus, with the same result.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from forum.domain.lexicon import Tone
from forum.domain.text import Reading

SeriesKey = tuple[str | None, str]  # (building, keyword)
COUNTED_TONES = frozenset({Tone.COMPLAINT, Tone.NEUTRAL})


@dataclass(frozen=True)
class Burst:
    keyword: str
    building: str | None
    start: date
    end: date  # exclusive
    count: int
    baseline: float  # the count expected over the window
    score: float  # -log10 of the tail probability: how surprising the window is
    rule: str = "rate"  # rate | reports


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


class _Series:
    """Dense daily counts from `origin` with prefix sums."""

    def __init__(self, origin: date, days: int, counts: Mapping[date, int]) -> None:
        self.origin = origin
        dense = [0] * days
        for day, count in counts.items():
            dense[(day - origin).days] += count
        self.prefix = [0]
        for value in dense:
            self.prefix.append(self.prefix[-1] + value)
        self.dense = dense

    def total(self, first: int, last_exclusive: int) -> int:
        first = max(0, first)
        last_exclusive = max(first, min(len(self.dense), last_exclusive))
        return self.prefix[last_exclusive] - self.prefix[first]


@dataclass
class BurstDetector:
    history_days: int = 56
    recent_days: int = 7  # the community's last week, when higher (a season starting)
    windows: tuple[int, ...] = (1, 2, 3, 4)
    max_log10_p: float = -5.0
    min_count: int = 4
    min_days: int = 2
    one_day_count: int = 5
    floor_rate: float = 1 / 30  # a topic nobody has mentioned yet: about once a month per building
    community_prior_days: float = 14.0  # m0
    building_prior_days: float = 30.0  # m
    min_complaint_share: float = 0.4
    report_count: int = 3  # reports of one category in one building ...
    report_days: int = 2  # ... within this many days are a burst
    word_min_count: int = 6
    word_max_log10_p: float = -8.0
    word_floor_rate: float = 0.1
    cooldown_days: int = 7

    @property
    def baseline_days(self) -> int:  # how far back the service reads mentions
        return self.history_days

    def _rate(
        self, building: _Series, community: _Series, start: int, buildings: int, *, floor: float
    ) -> float:
        first = max(0, start - self.history_days)
        span = start - first
        in_building = building.total(first, start)
        in_community = community.total(first, start)
        m0, m = self.community_prior_days, self.building_prior_days
        community_rate = (in_community + floor * buildings * m0) / (buildings * (span + m0))
        recent = min(span, self.recent_days)
        if recent:
            community_rate = max(
                community_rate, community.total(start - recent, start) / (buildings * recent)
            )
        return (in_building + community_rate * m) / (span + m)

    def scan(
        self,
        counts: Mapping[SeriesKey, Mapping[date, int]],
        *,
        since: date | None = None,
        until: date | None = None,
        quiet_until: Mapping[SeriesKey, date] | None = None,
        topics: Callable[[str], bool] | None = None,
        complaints: Mapping[SeriesKey, Mapping[date, int]] | None = None,
        reports: Mapping[SeriesKey, Mapping[date, int]] | None = None,
        origin: date | None = None,
    ) -> list[Burst]:
        """Every burst whose window ends in [since, until], oldest first, at most one per
        cooldown. `topics(keyword)` tells a topic from a free word (all are topics by default);
        `complaints` counts the complaints among the counted mentions (all by default);
        `reports` the repair reports among them; `origin` is the community's first day
        (default: the first day with a mention); `quiet_until` carries cooldowns from
        detections made earlier (the service's stored hotspots)."""
        days = [d for series in counts.values() for d, c in series.items() if c > 0]
        if not days:
            return []
        first_day = min([*days, *([origin] if origin else [])])
        last_day = max(days)
        if until is not None:
            last_day = min(last_day, until)
        span = (max(days) - first_day).days + 1
        buildings = max(1, len({b for b, _ in counts}))
        by_keyword: dict[str, dict[date, int]] = defaultdict(dict)
        for (_, keyword), series in counts.items():
            total = by_keyword[keyword]
            for day, count in series.items():
                total[day] = total.get(day, 0) + count
        community = {k: _Series(first_day, span, s) for k, s in by_keyword.items()}
        found: list[Burst] = []
        for key, raw in counts.items():
            keyword = key[1]
            is_topic = topics is None or topics(keyword)
            dense = _Series(first_day, span, raw)
            complaint = _Series(first_day, span, complaints.get(key, {})) if complaints is not None else None
            report = _Series(first_day, span, reports[key]) if reports and key in reports else None
            quiet = (quiet_until or {}).get(key)
            for end_day in sorted(d for d, c in raw.items() if c > 0 and d <= last_day):
                if since is not None and end_day < since:
                    continue
                if quiet is not None and end_day < quiet:
                    continue
                end = (end_day - first_day).days + 1
                burst = self._evaluate(
                    key, dense, community[keyword], complaint, report, end, first_day, buildings, is_topic
                )
                if burst is not None:
                    found.append(burst)
                    quiet = burst.end + timedelta(days=self.cooldown_days)
        found.sort(key=lambda b: (b.start, b.building or "", b.keyword))
        return found

    def _evaluate(
        self,
        key: SeriesKey,
        series: _Series,
        community: _Series,
        complaint: _Series | None,
        report: _Series | None,
        end: int,
        first_day: date,
        buildings: int,
        is_topic: bool,
    ) -> Burst | None:
        building, keyword = key
        best: Burst | None = None
        floor = self.floor_rate if is_topic else self.word_floor_rate
        needed = self.min_count if is_topic else self.word_min_count
        threshold = self.max_log10_p if is_topic else self.word_max_log10_p
        for width in self.windows:
            start = end - width
            if start < 0:
                break
            count = series.total(start, end)
            if count < needed:
                continue
            active = sum(1 for i in range(start, end) if series.dense[i] > 0)
            if active < self.min_days and count < self.one_day_count:
                continue
            if complaint is not None and complaint.total(start, end) < self.min_complaint_share * count:
                continue
            expected = self._rate(series, community, start, buildings, floor=floor) * width
            log_p = poisson_log10_sf(count, expected)
            if log_p <= threshold and (best is None or -log_p > best.score):
                best = Burst(
                    keyword,
                    building,
                    first_day + timedelta(days=start),
                    first_day + timedelta(days=end),
                    count,
                    round(expected, 3),
                    round(-log_p, 3),
                )
        if best is None and report is not None and is_topic:
            start = max(0, end - self.report_days)
            if report.total(start, end) >= self.report_count:
                count = series.total(start, end)
                expected = self._rate(series, community, start, buildings, floor=floor) * (end - start)
                best = Burst(
                    keyword,
                    building,
                    first_day + timedelta(days=start),
                    first_day + timedelta(days=end),
                    count,
                    round(expected, 3),
                    round(-poisson_log10_sf(count, expected), 3),
                    rule="reports",
                )
        return best


@dataclass(frozen=True)
class Mention:
    """One text or report speaking of a keyword: its id, post or report, tone, and the words."""

    source: str
    kind: str = "post"  # post | report
    tone: Tone = Tone.COMPLAINT
    words: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()

    @property
    def counted(self) -> bool:
        return self.kind == "report" or self.tone in COUNTED_TONES


@dataclass
class MentionCounter:
    """Per-(building, keyword) daily counts of counted mentions (complaints, neutral texts and
    reports), the complaints and reports among them, and the mentions behind them."""

    counts: dict[SeriesKey, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))
    complaints: dict[SeriesKey, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))
    reports: dict[SeriesKey, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))
    mentions: dict[tuple[SeriesKey, date], list[Mention]] = field(default_factory=lambda: defaultdict(list))
    first_day: date | None = None

    def add(self, building: str | None, day: date, keywords: Iterable[str], source_id: str) -> None:
        """Keywords of one text, all counted as complaints (the plain form)."""
        for keyword in keywords:
            self.add_mention(building, day, keyword, Mention(source_id))

    def add_mention(self, building: str | None, day: date, keyword: str, mention: Mention) -> None:
        if self.first_day is None or day < self.first_day:
            self.first_day = day
        if not mention.counted:
            return
        key = (building, keyword)
        for table, counts in (
            (self.counts, True),
            (self.complaints, mention.kind == "report" or mention.tone is Tone.COMPLAINT),
            (self.reports, mention.kind == "report"),
        ):
            if counts:
                series = table[key]
                series[day] = series.get(day, 0) + 1
        self.mentions[(key, day)].append(mention)

    def between(self, building: str | None, keyword: str, start: date, end: date) -> list[Mention]:
        found: list[Mention] = []
        day = start
        while day < end:
            found.extend(self.mentions.get(((building, keyword), day), []))
            day += timedelta(days=1)
        return found

    def evidence_between(self, building: str | None, keyword: str, start: date, end: date) -> list[str]:
        return [m.source for m in self.between(building, keyword, start, end)]


@dataclass(frozen=True)
class Hotspot:
    """One burst as residents would name it, with the other keywords of the same posts."""

    burst: Burst
    related: tuple[str, ...]
    evidence: tuple[str, ...]


EvidenceLookup = Callable[[str | None, str, date, date], Iterable[str]]


def group_bursts(
    bursts: Iterable[Burst],
    evidence: EvidenceLookup,
    rank: Callable[[str], int] | Iterable[str] = (),
    overlap: float = 0.5,
    slack_days: int = 3,
) -> list[Hotspot]:
    """Merge bursts of one building that are about the same posts.

    The posts of one burst ("楼上装修电钻吵死了") raise more than one keyword (装修, 噪音), not
    always on the same day; residents need one hotspot named by what it is about: a topic of the
    lexicon first (`rank(keyword)`, lower first; or an iterable of preferred keywords), then the
    most surprising one. Two bursts within `slack_days` of each other are
    one when most of the posts mentioning the rarer keyword around then also mention the other
    (`evidence(building, keyword, start, end)` gives the ids).
    """
    if not callable(rank):
        chosen = set(rank)

        def rank(keyword: str) -> int:
            return 0 if keyword in chosen else 1

    slack = timedelta(days=slack_days)
    by_building: dict[str | None, list[Burst]] = defaultdict(list)
    for burst in bursts:
        by_building[burst.building].append(burst)
    result: list[Hotspot] = []
    for building, items in by_building.items():
        items.sort(key=lambda b: (rank(b.keyword), -b.score, -b.count, b.keyword))
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


def explain(burst: Burst, mentions: Iterable[Mention]) -> dict[str, Any]:
    """Why a burst was raised, for the people who read it: how many posts and reports, how many
    read as complaints, what was expected, the words residents used and the complaint cues."""
    items = list(mentions)
    words = Counter(w for m in items for w in m.words)
    cues = Counter(c for m in items if m.tone is Tone.COMPLAINT for c in m.cues)
    return {
        "rule": burst.rule,
        "posts": sum(1 for m in items if m.kind == "post"),
        "reports": sum(1 for m in items if m.kind == "report"),
        "complaints": sum(1 for m in items if m.kind == "report" or m.tone is Tone.COMPLAINT),
        "expected": burst.baseline,
        "days": (burst.end - burst.start).days,
        "words": [w for w, _ in words.most_common(8)],
        "cues": [c for c, _ in cues.most_common(5)],
    }


def mentions_of(reading: Reading, source: str, kind: str = "post") -> list[tuple[str, Mention]]:
    """The keywords one text counts under: each topic it speaks of (with the words that said so)
    and each other word, all with the text's tone."""
    out = [
        (topic, Mention(source, kind, reading.tone, tuple(words), reading.cues))
        for topic, words in reading.topics.items()
    ]
    out += [
        (word, Mention(source, kind, reading.tone, (word,), reading.cues)) for word in sorted(reading.words)
    ]
    return out

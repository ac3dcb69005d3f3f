"""Offline hotspot detection: `python -m forum.hotspots detect FILE.jsonl`.

Reads lines `{"at": ISO 8601 time, "building": "...", "text": "..."}` and prints one JSON line
per hotspot `{"keyword", "building", "start", "evidence_count"}`. No server, database or broker:
the same lexicon, segmenter and detector the service runs, on the days of the community's time
zone. `detect_hotspots` gives the full hotspots (related keywords, first day it could be raised,
why) for the benchmark.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from forum.domain.hotspots import BurstDetector, Hotspot, MentionCounter, explain, group_bursts, mentions_of
from forum.domain.lexicon import Lexicon
from forum.domain.text import Segmenter, default_segmenter

USAGE = "usage: python -m forum.hotspots detect FILE.jsonl"


@dataclass(frozen=True)
class Found:
    hotspot: Hotspot
    detected_on: date  # the last day of the window: the first day the job could raise it
    reason: dict[str, Any]


def detect_hotspots(
    lines: Iterable[str],
    *,
    segmenter: Segmenter | None = None,
    lexicon: Lexicon | None = None,
    detector: BurstDetector | None = None,
    timezone: str = "Asia/Shanghai",
) -> list[Found]:
    segmenter = segmenter or default_segmenter()
    lexicon = lexicon or segmenter.lexicon
    detector = detector or BurstDetector()
    zone = ZoneInfo(timezone)
    counter = MentionCounter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        at = datetime.fromisoformat(item["at"])
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone)
        building = item.get("building") or None
        day = at.astimezone(zone).date()
        for keyword, mention in mentions_of(segmenter.read(str(item["text"]), lexicon), str(number)):
            counter.add_mention(str(building) if building is not None else None, day, keyword, mention)
    bursts = detector.scan(
        counter.counts,
        topics=lambda keyword: keyword in lexicon.topics,
        complaints=counter.complaints,
        reports=counter.reports,
        origin=counter.first_day,
    )
    found = []
    for hotspot in group_bursts(bursts, counter.evidence_between, lexicon.naming_rank):
        burst = hotspot.burst
        mentions = counter.between(burst.building, burst.keyword, burst.start, burst.end)
        found.append(
            Found(hotspot, burst.end.fromordinal(burst.end.toordinal() - 1), explain(burst, mentions))
        )
    return found


def detect_lines(
    lines: Iterable[str],
    *,
    segmenter: Segmenter | None = None,
    detector: BurstDetector | None = None,
    timezone: str = "Asia/Shanghai",
) -> Iterator[dict[str, Any]]:
    for found in detect_hotspots(lines, segmenter=segmenter, detector=detector, timezone=timezone):
        burst = found.hotspot.burst
        yield {
            "keyword": burst.keyword,
            "building": burst.building,
            "start": burst.start.isoformat(),
            "evidence_count": len(found.hotspot.evidence),
        }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "detect":
        print(USAGE, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as corpus:
        for hotspot in detect_lines(corpus):
            print(json.dumps(hotspot, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Offline hotspot detection: `python -m forum.hotspots detect FILE.jsonl`.

Reads lines `{"at": ISO 8601 time, "building": "...", "text": "..."}` and prints one JSON line
per hotspot `{"keyword", "building", "start", "evidence_count"}`. No server, database or broker:
the same segmenter and detector the service runs, on the days of the community's time zone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from forum.domain.hotspots import BurstDetector, MentionCounter, group_bursts
from forum.domain.text import Segmenter, default_segmenter

USAGE = "usage: python -m forum.hotspots detect FILE.jsonl"


def detect_lines(
    lines: Iterable[str],
    *,
    segmenter: Segmenter | None = None,
    detector: BurstDetector | None = None,
    timezone: str = "Asia/Shanghai",
) -> Iterator[dict[str, Any]]:
    segmenter = segmenter or default_segmenter()
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
        counter.add(
            str(building) if building is not None else None,
            at.astimezone(zone).date(),
            segmenter.keywords(str(item["text"])),
            str(number),
        )
    bursts = detector.scan(counter.counts)
    for hotspot in group_bursts(bursts, counter.evidence_between, segmenter.dictionary):
        yield {
            "keyword": hotspot.burst.keyword,
            "building": hotspot.burst.building,
            "start": hotspot.burst.start.isoformat(),
            "evidence_count": len(hotspot.evidence),
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

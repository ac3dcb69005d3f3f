"""Hotspot quality on a synthetic labelled corpus, and the offline command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from forum.hotspots import detect_lines
from tests.forum.corpus import generate, to_jsonl

BUILDINGS = 18
DAYS = 120


def score(found: list[dict[str, object]], planted: list) -> tuple[float, float, int]:  # type: ignore[type-arg]
    matched = set()
    true_positives = 0
    for hotspot in found:
        start = date.fromisoformat(str(hotspot["start"]))
        hits = [
            p
            for p in planted
            if p.building == hotspot["building"]
            and p.keyword == hotspot["keyword"]
            and abs((start - p.start).days) <= 3
        ]
        if hits:
            true_positives += 1
            matched.update(hits)
    precision = true_positives / len(found) if found else 0.0
    recall = len(matched) / len(planted)
    return precision, recall, len(found) - true_positives


def test_planted_bursts_are_found_with_few_false_alarms() -> None:
    building_months = BUILDINGS * DAYS / 30
    for seed in (7, 11):
        lines, planted = generate(seed, buildings=BUILDINGS, days=DAYS)
        found = list(detect_lines(json.dumps(line, ensure_ascii=False) for line in lines))
        precision, recall, false_alarms = score(found, planted)
        print(
            f"\nseed {seed}: {len(lines)} posts, {len(planted)} planted bursts (sizes 8-30), "
            f"{len(found)} hotspots: precision {precision:.3f}, recall {recall:.3f}, "
            f"false alarms {false_alarms} over {building_months:.0f} building-months"
        )
        assert recall >= 0.9
        assert false_alarms <= building_months


def test_offline_command_reads_jsonl_and_prints_one_line_per_hotspot(tmp_path: Path) -> None:
    lines, planted = generate(3, buildings=4, days=75)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(to_jsonl(lines), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "forum.hotspots", "detect", str(corpus)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
    )
    printed = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert printed
    assert all(set(p) == {"keyword", "building", "start", "evidence_count"} for p in printed)
    _, recall, _ = score(printed, planted)
    assert recall >= 0.9


def test_offline_command_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "forum.hotspots"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert "usage" in result.stderr

"""Forum: Chinese search over 200,000 posts (p50/p99) and hotspot detection over a year.

1. Search. A throw-away database gets ``--posts`` threads (default 200,000) of generated Chinese
   grievance and mutual-help text in one community, bulk-loaded with COPY; each thread's search
   vector is built from jieba tokens exactly as the service builds it (title weight A, body B,
   'simple' configuration, GIN index). Then ``--queries`` searches (default 300) go through the
   real app in-process (``GET /api/v1/forum/threads?q=...``: token check, segmentation of the
   query, ``@@`` on the GIN index, ``ts_rank`` ordering, first page of 20), sequentially, and
   the latency of each is recorded.
2. Hotspots. A year of one community's posts (18 buildings, ``--per-day`` posts a day, with
   planted bursts) is written as JSON lines and run through the offline detector
   (``forum.hotspots.detect_lines``: jieba keywords + burst detection), timed end to end, and
   the detection step alone on the counted series.

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

import forum.main
from forum.config import Settings
from forum.domain.hotspots import BurstDetector, MentionCounter
from forum.domain.text import Segmenter
from forum.hotspots import detect_lines
from servicekit.db import asyncpg_dsn
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner

DESCRIPTION = "forum: Chinese search over 200k posts (p50/p99) and a year of hotspot detection"

SUBJECTS = [
    "楼道灯",
    "暖气",
    "广场舞",
    "飞线充电",
    "电动车",
    "停车位",
    "漏水",
    "电梯",
    "快递柜",
    "垃圾分类",
    "高空抛物",
    "宠物狗",
    "装修噪音",
    "下水道",
    "门禁",
    "监控",
    "绿化带",
    "健身器材",
    "油烟",
    "群租",
]
COMPLAINTS = [
    "{s}坏了好几天了，物业什么时候来修",
    "{b}的{s}问题谁来管管",
    "晚上{s}太吵了，孩子睡不着",
    "求助：{s}的事情该找谁",
    "{s}又出问题了，大家有同样的情况吗",
    "建议物业把{s}的事处理一下",
    "{b}楼下{s}的情况越来越严重",
    "关于{s}，我有个想法想和大家商量",
    "{s}的费用怎么算",
]
CHATTER = [
    "谁家有多余的纸箱子",
    "周末社区有义诊活动",
    "求推荐附近靠谱的家电维修师傅",
    "菜市场的西红柿今天特别新鲜",
    "捡到一把钥匙放在门卫室了",
    "有没有一起拼车去火车站的",
    "社区图书角新到了一批书",
    "想找个阿姨做饭",
]
QUERIES = [
    "飞线充电",
    "暖气不热",
    "楼道灯",
    "广场舞 噪音",
    "停车位",
    "漏水",
    "电梯 坏了",
    "快递柜",
    "高空抛物",
    "宠物狗",
    "装修噪音",
    "下水道 堵",
    "门禁",
    "物业 修",
    "健身器材",
    "群租",
    "垃圾分类",
    "油烟",
]


def generate_post(rng: random.Random) -> tuple[str, str, str]:
    building = f"{rng.randrange(1, 19)}号楼"
    if rng.random() < 0.75:
        subject = rng.choice(SUBJECTS)
        title = rng.choice(COMPLAINTS).format(s=subject, b=building)[:40]
        body = "".join(
            rng.choice(COMPLAINTS).format(s=rng.choice(SUBJECTS), b=building) + "。" for _ in range(3)
        )
    else:
        title = rng.choice(CHATTER)
        body = "。".join(rng.sample(CHATTER, 3))
    return building, title, body


async def load_posts(settings: Settings, community: uuid.UUID, author: uuid.UUID, count: int) -> float:
    """COPY the generated threads and their opening posts; the vectors are built in SQL from the
    jieba tokens computed here, as the service does per thread."""
    segmenter = Segmenter()
    rng = random.Random(42)
    started = time.perf_counter()
    now = datetime.now(UTC)
    staging: list[tuple[Any, ...]] = []
    for n in range(count):
        building, title, body = generate_post(rng)
        created = now - timedelta(seconds=count - n)
        staging.append(
            (
                uuid.uuid4(),
                building,
                title,
                body,
                " ".join(segmenter.search_tokens(title)),
                " ".join(segmenter.search_tokens(body)),
                created,
            )
        )
    segmented = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url.get_secret_value()))
    try:
        await connection.execute(
            "CREATE TEMP TABLE staging (id uuid, building text, title text, body text, title_tokens text,"
            " body_tokens text, created_at timestamptz)"
        )
        await connection.copy_records_to_table("staging", records=staging)
        await connection.execute(
            """
            INSERT INTO threads
                (id, community_id, board, title, author_id, building, last_post_at, search, created_at)
            SELECT id, $1, 'grievances', title, $2, building, created_at,
                   setweight(to_tsvector('simple', title_tokens), 'A')
                   || setweight(to_tsvector('simple', body_tokens), 'B'),
                   created_at
            FROM staging
            """,
            community,
            author,
        )
        await connection.execute(
            """
            INSERT INTO posts (id, community_id, thread_id, author_id, kind, body, status, created_at)
            SELECT gen_random_uuid(), $1, id, $2, 'opening', body, 'visible', created_at FROM staging
            """,
            community,
            author,
        )
        await connection.execute("ANALYZE threads; ANALYZE posts")
    finally:
        await connection.close()
    print(
        f"loaded {count} posts in {time.perf_counter() - started:.1f} s "
        f"(jieba segmentation {segmented - started:.1f} s, "
        f"COPY + vectors + index {time.perf_counter() - segmented:.1f} s)"
    )
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def search_bench(posts: int, queries: int) -> dict[str, Any]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    settings = isolated_settings(
        Settings,
        namespace=namespace,
        jwt_public_key=signer.public_pem,
        jobs_enabled=False,
        redis_prefix=f"bench:{namespace}:forum:",
    )
    community, author = uuid.uuid4(), uuid.uuid4()
    async with isolated_database(settings):
        await migrate(settings, forum.main.MIGRATIONS)
        load_seconds = await load_posts(settings, community, author, posts)
        app = forum.main.create_app(settings)
        token = signer.sign(
            user_id=uuid.uuid4(), community_id=community, roles=["resident"], ttl_seconds=3600
        )
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                    for q in QUERIES:  # warm the caches once per query
                        await client.get("/api/v1/forum/threads", params={"q": q}, headers=headers)
                    latencies: list[float] = []
                    hits: list[int] = []
                    for n in range(queries):
                        q = QUERIES[n % len(QUERIES)]
                        started = time.perf_counter()
                        response = await client.get("/api/v1/forum/threads", params={"q": q}, headers=headers)
                        latencies.append((time.perf_counter() - started) * 1000)
                        response.raise_for_status()
                        hits.append(len(response.json()["items"]))
        finally:
            await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
    matches = await count_matches(posts)
    result = {
        "posts": posts,
        "queries": queries,
        "load_seconds": round(load_seconds, 1),
        "search_p50_ms": round(statistics.median(latencies), 2),
        "search_p99_ms": round(percentile(latencies, 0.99), 2),
        "search_max_ms": round(max(latencies), 2),
        "first_page_items_mean": round(statistics.mean(hits), 1),
        "matching_share": matches,
    }
    print(
        f"search over {posts} posts, {queries} queries through the app (first page of 20, ranked):\n  "
        f"p50 {result['search_p50_ms']} ms, p99 {result['search_p99_ms']} ms, "
        f"max {result['search_max_ms']} ms"
    )
    return result


async def count_matches(posts: int) -> str:
    """How selective the queries are on this corpus (share of posts a query matches, typical)."""
    segmenter = Segmenter()
    rng = random.Random(42)
    sample = [
        set(segmenter.search_tokens(t + b))
        for _, t, b in (generate_post(rng) for _ in range(min(posts, 5000)))
    ]
    shares = []
    for q in QUERIES:
        tokens = set(segmenter.search_tokens(q))
        shares.append(sum(1 for words in sample if tokens <= words) / len(sample))
    return f"median {statistics.median(shares):.1%}, max {max(shares):.1%}"


def year_corpus(per_day: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    first = date(2025, 1, 1)
    lines = []
    for offset in range(365):
        day = first + timedelta(days=offset)
        for _ in range(per_day):
            building, title, body = generate_post(rng)
            at = datetime(day.year, day.month, day.day, rng.randrange(7, 23), rng.randrange(60), tzinfo=UTC)
            lines.append(
                json.dumps(
                    {"at": at.isoformat(), "building": building, "text": title + "。" + body[:60]},
                    ensure_ascii=False,
                )
            )
        if offset % 11 == 0:  # a planted burst somewhere
            building, subject = f"{rng.randrange(1, 19)}号楼", rng.choice(SUBJECTS)
            for _ in range(rng.choice([8, 15, 30])):
                at = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
                lines.append(
                    json.dumps(
                        {"at": at.isoformat(), "building": building, "text": f"{subject}又出问题了"},
                        ensure_ascii=False,
                    )
                )
    return lines


def hotspot_bench(per_day: int) -> dict[str, Any]:
    lines = year_corpus(per_day)
    segmenter = Segmenter()
    segmenter.keywords("预热")  # the dictionary load is not part of the figure
    started = time.perf_counter()
    found = list(detect_lines(lines, segmenter=segmenter))
    total = time.perf_counter() - started
    counter = MentionCounter()
    started = time.perf_counter()
    for number, line in enumerate(lines):
        item = json.loads(line)
        counter.add(
            item["building"],
            date.fromisoformat(item["at"][:10]),
            segmenter.keywords(item["text"]),
            str(number),
        )
    counting = time.perf_counter() - started
    started = time.perf_counter()
    bursts = BurstDetector().scan(counter.counts)
    detection = time.perf_counter() - started
    result = {
        "year_posts": len(lines),
        "series": len(counter.counts),
        "hotspots": len(found),
        "bursts_before_grouping": len(bursts),
        "hotspot_total_seconds": round(total, 2),
        "hotspot_keywords_seconds": round(counting, 2),
        "hotspot_detection_seconds": round(detection, 2),
    }
    print(
        f"hotspots over a year of one community: {len(lines)} posts, "
        f"{len(counter.counts)} (building, keyword) series,\n  {len(found)} hotspots in {total:.2f} s "
        f"(keywords {counting:.2f} s, burst detection {detection:.2f} s)"
    )
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench forum", description=DESCRIPTION)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--per-day", type=int, default=120, help="posts a day in the hotspot year")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"benchmark": "forum"}
    if not args.skip_search:
        figures.update(asyncio.run(search_bench(args.posts, args.queries)))
    figures.update(hotspot_bench(args.per_day))
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Errand service figures.

(1) The courier feed with 10,000 open orders and 1,000 couriers online, timed inside the service:
the feed use case (`errand.service_layer.couriers.feed`: the courier's presence, two GEOSEARCHes
nearest first within 500 m, one HMGET of the coarse cards) called many times on the real Redis,
p50/p99 in milliseconds. The orders are spread over the community's 600 m disc and the couriers
over 400 m, so a typical query has thousands of candidates in its circle.

(2) Order creation (`POST /api/v1/errand/orders` with an Idempotency-Key, each request on its own
fresh quote) driven by wrk, straight at the service and through the gateway. The services run as
their own processes (`python -m errand`, `python -m gateway`), as deployed, on throw-away
databases, a private exchange and a private Redis prefix; the quotes are bulk-inserted first. The
gateway's rate limit is off (one benchmark user would otherwise be held to 600 requests/min).

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

from bench.service_processes import Processes, remove_bench_state, service_env, wait_live
from errand.adapters.geo_index import GeoIndex
from errand.config import Settings
from errand.service_layer.context import ErrandContext
from errand.service_layer.couriers import feed
from servicekit.auth import CurrentUser
from servicekit.db import asyncpg_dsn
from servicekit.stack import free_port
from servicekit.tokens import TokenSigner

DESCRIPTION = (
    "errand: feed p50/p99 (10,000 open orders, 1,000 couriers); order creation req/s direct and via gateway"
)

CENTER = (39.9087, 116.3975)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def scatter(rng: random.Random, radius_m: float) -> tuple[float, float]:
    distance, bearing = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lat = CENTER[0] + distance * math.cos(bearing) / 111_320
    lng = CENTER[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(CENTER[0])))
    return lat, lng


# -- (1) the feed -----------------------------------------------------------------------------------
async def bench_feed(args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"wlbench:{uuid.uuid4().hex[:10]}:errand"
    settings = Settings(redis_key_prefix=prefix)
    redis = aioredis.from_url(settings.redis_url, decode_responses=True)
    ctx = ErrandContext(settings, GeoIndex(redis, prefix))
    community = uuid.uuid4()
    rng = random.Random(20261122)
    try:
        entries = []
        for _ in range(args.orders):
            lat, lng = scatter(rng, 600)
            order_id = uuid.uuid4()
            card = {
                "id": str(order_id),
                "type": rng.choice(["buy", "deliver", "pickup_parcel", "pay_bill", "queue", "home_service"]),
                "price_fen": rng.randint(400, 2500),
                "tip_fen": rng.choice([0, 0, 0, 200, 500]),
                "pickup_building": str(rng.randint(1, 18)),
                "dropoff_building": str(rng.randint(1, 18)),
                "item_count": rng.randint(0, 6),
                "weight_kg": None,
                "scheduled_at": None,
                "created_at": "2026-11-22T04:00:00+00:00",
            }
            entries.append((order_id, lat, lng, rng.random() < 0.2, card))  # a fifth from elderly-alone homes
        for start in range(0, len(entries), 1000):
            await ctx.index.add_open_many(community, entries[start : start + 1000])
        couriers = []
        for _ in range(args.couriers):
            courier = CurrentUser(uuid.uuid4(), community, frozenset({"courier"}), None, None, "bench")
            lat, lng = scatter(rng, 400)
            await ctx.index.set_online(community, courier.id, lat=lat, lng=lng, ttl_seconds=3600)
            couriers.append(courier)
        for courier in couriers[:200]:  # warm-up
            await feed(ctx, courier, radius_m=settings.feed_radius_m, limit=settings.feed_max_items)
        timings: list[float] = []
        sizes: list[int] = []
        for _ in range(args.iterations):
            courier = rng.choice(couriers)
            started = time.perf_counter()
            page = await feed(ctx, courier, radius_m=settings.feed_radius_m, limit=settings.feed_max_items)
            timings.append((time.perf_counter() - started) * 1000)
            sizes.append(len(page["items"]))
        in_radius = await redis.geosearch(
            f"{prefix}:open:{community}:normal", longitude=CENTER[1], latitude=CENTER[0], radius=500, unit="m"
        )
    finally:
        async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
            await redis.delete(key)
        await redis.aclose()
    result = {
        "orders": args.orders,
        "couriers": args.couriers,
        "iterations": args.iterations,
        "p50_ms": round(percentile(timings, 0.50), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "mean_ms": round(statistics.fmean(timings), 3),
        "max_ms": round(max(timings), 3),
        "items_per_page": round(statistics.fmean(sizes), 1),
        "open_orders_within_500m_of_centre": len(in_radius),
    }
    print(
        f"feed ({args.orders} open orders, {args.couriers} couriers online, {args.iterations} queries): "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, mean {result['mean_ms']} ms, "
        f"max {result['max_ms']} ms; {result['items_per_page']} cards a page"
    )
    return result


# -- (2) order creation ---------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def services(namespace: str, signer: TokenSigner) -> AsyncIterator[dict[str, str]]:
    ports = {"errand": free_port(), "gateway": free_port()}
    errand_env = service_env(
        "ERRAND_",
        namespace,
        "errand",
        ports["errand"],
        {
            "ERRAND_JWT_PUBLIC_KEY": signer.public_pem,
            "ERRAND_REDIS_KEY_PREFIX": f"wlbench:{namespace}:errand",
        },
    )
    gateway_env = service_env(
        "GATEWAY_",
        namespace,
        "gateway",
        ports["gateway"],
        {
            "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
            "GATEWAY_JWT_PUBLIC_KEY": signer.public_pem,
            "GATEWAY_ERRAND_URL": f"http://127.0.0.1:{ports['errand']}",
            "GATEWAY_REPORTS_URL": "http://127.0.0.1:1",
            "GATEWAY_FORUM_URL": "http://127.0.0.1:1",
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
        },
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = Processes()
    try:
        processes.start("errand", errand_env)
        await wait_live(urls["errand"])
        processes.start("gateway", gateway_env)
        with contextlib.suppress(RuntimeError):  # without a gateway, direct figures only
            await wait_live(urls["gateway"])
        urls["errand_db"] = errand_env["ERRAND_DATABASE_URL"]
        yield urls
    finally:
        processes.stop()
        await remove_bench_state(
            namespace,
            [errand_env["ERRAND_DATABASE_URL"], gateway_env["GATEWAY_DATABASE_URL"]],
            ("errand", "gateway"),
        )


QUOTE_SPEC = {
    "type": "deliver",
    "pickup": {"building": "5", "unit": "1", "room": "402", "lat": 39.9096, "lng": 116.3975},
    "dropoff": {"building": "3", "unit": "2", "room": "1101", "lat": 39.9078, "lng": 116.3975},
}


async def insert_quotes(
    database_url: str, community: uuid.UUID, requesters: list[uuid.UUID], count: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``count`` fresh, unexpired quotes as (requester, quote id), in one statement."""
    pairs = [(requesters[i % len(requesters)], uuid.uuid4()) for i in range(count)]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            """
            INSERT INTO quotes (id, community_id, requester_id, order_type, spec, price_fen, breakdown,
                                distance_m, created_at, expires_at)
            SELECT q, $1, r, 'deliver', $4::jsonb, 450, $5::jsonb, 200, now(), now() + interval '1 day'
            FROM unnest($2::uuid[], $3::uuid[]) AS t(r, q)
            """,
            community,
            [r for r, _ in pairs],
            [q for _, q in pairs],
            json.dumps(QUOTE_SPEC),
            json.dumps([{"code": "base", "amount_fen": 400}, {"code": "distance", "amount_fen": 50}]),
        )
    finally:
        await connection.close()
    return pairs


WRK_SCRIPT = """
local lines = {}
local next_index = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  for line in io.lines("%(base)s." .. tid) do
    local token, quote = line:match("([^\\t]+)\\t([^\\t]+)")
    table.insert(lines, {token = token, quote = quote})
  end
end
function request()
  next_index = next_index + 1
  local entry = lines[next_index] or lines[#lines]
  local headers = {}
  headers["Authorization"] = "Bearer " .. entry.token
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = entry.quote
  return wrk.format("POST", "/api/v1/errand/orders", headers, '{"quote_id":"' .. entry.quote .. '"}')
end
"""


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+\w+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+\w+)", output, re.MULTILINE)
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "latency_p50": p50.group(1) if p50 else None,
        "latency_p99": p99.group(1) if p99 else None,
    }


def write_wrk_inputs(
    directory: Path, pairs: list[tuple[uuid.UUID, uuid.UUID]], tokens: dict[uuid.UUID, str], threads: int
) -> str:
    """One (token, quote) file per wrk thread, so no two requests share a quote; returns the script."""
    base = directory / "quotes"
    for thread in range(threads):
        lines = [f"{tokens[requester]}\t{quote}\n" for requester, quote in pairs[thread::threads]]
        Path(f"{base}.{thread}").write_text("".join(lines))
    script = directory / "create.lua"
    script.write_text(WRK_SCRIPT % {"base": base})
    return str(script)


async def drive_creation(
    target: str,
    via: str,
    pairs: list[tuple[uuid.UUID, uuid.UUID]],
    tokens: dict[uuid.UUID, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="wlbench-errand-"))
    try:
        script = write_wrk_inputs(directory, pairs, tokens, args.threads)
        command = [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            "-s",
            script,
            target,
        ]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        output = (await process.communicate())[0].decode()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    result = {"via": via, "connections": args.connections, "duration_s": args.duration, **parse_wrk(output)}
    print(
        f"POST /api/v1/errand/orders {via}: {result['requests_per_second']} requests/s, "
        f"p50 {result['latency_p50']}, p99 {result['latency_p99']} "
        f"({result['requests']} in {args.duration} s, wrk -t{args.threads} -c{args.connections}, "
        f"non-2xx {result['non_2xx']})"
    )
    return result


async def bench_create(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): order creation not measured")
        return {}
    namespace, signer, community = uuid.uuid4().hex[:10], TokenSigner.generate(), uuid.uuid4()
    requesters = [uuid.uuid4() for _ in range(100)]
    tokens = {
        r: signer.sign(user_id=r, community_id=community, roles=["resident"], building="3", ttl_seconds=7200)
        for r in requesters
    }
    results: dict[str, Any] = {}
    async with services(namespace, signer) as urls:
        headers = {"Authorization": f"Bearer {tokens[requesters[0]]}"}
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                probe = await client.get(f"{urls['gateway']}/api/v1/errand/orders", headers=headers)
                gateway_forwards = probe.status_code == 200
            except httpx.HTTPError:
                gateway_forwards = False
        plan = [("direct", urls["errand"])]
        if gateway_forwards:
            plan.append(("via gateway", urls["gateway"]))
        else:
            print("the gateway does not forward /api/v1/errand yet: direct figures only")
        for via, base in plan:
            pairs = await insert_quotes(urls["errand_db"], community, requesters, args.quotes)
            results[via] = await drive_creation(f"{base}/api/v1/errand/orders", via, pairs, tokens, args)
    return results


async def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"benchmark": "errand"}
    if not args.skip_feed:
        out["feed"] = await bench_feed(args)
    if not args.skip_create:
        out["create"] = await bench_create(args)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench errand", description=DESCRIPTION)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--couriers", type=int, default=1_000)
    parser.add_argument("--iterations", type=int, default=5_000)
    parser.add_argument("--quotes", type=int, default=30_000, help="fresh quotes per creation run")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-feed", action="store_true")
    parser.add_argument("--skip-create", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Reports service figures: `/api/v1/reports/stats` over 100,000 reports (p50/p99) and report
submission through the gateway (requests/s).

The services run as their own processes (`python -m reports`, `python -m gateway`), as deployed,
on throw-away databases and a private exchange. The 100,000 reports are bulk-inserted with one
SQL statement (spread over a year, 15 categories, 30 staff, 18 buildings, most closed, some
rated, breached or reopened), then `/stats` is asked sequentially, directly at the service.
Submission is driven by wrk (POST with a resident's token, no Idempotency-Key, so every request
files a report) through the gateway's proxy; if the gateway cannot forward a submission, the same
load goes straight to the service and the output says so. The gateway's rate limit is switched
off for this run: one benchmark user would otherwise be held to 600 requests a minute.

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
import httpx

from bench.pgbench_compare import run_pgbench
from bench.service_processes import Processes, service_env, wait_live
from servicekit.db import asyncpg_dsn, drop_database
from servicekit.stack import free_port
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner

DESCRIPTION = "/stats over 100,000 reports (p50/p99) and report submission through the gateway (req/s)"

BULK_INSERT = """
WITH cats AS (
    SELECT array_agg(code ORDER BY code) AS codes, array_agg(department ORDER BY code) AS departments
    FROM categories WHERE community_id = $1
), rows AS (
    SELECT g,
           now() - (random() * interval '365 days') AS submitted,
           random() * 6 * 3600 AS accept_s,
           random() * 96 * 3600 AS resolve_s,
           g % 10 AS bucket
    FROM generate_series(1, $2) AS g
)
INSERT INTO reports (
    id, community_id, category, department, reporter_id, source, building, description, public_area,
    anonymous, status, assignee_id, submitted_at, updated_at, accepted_at, first_resolved_at, resolved_at,
    closed_at, due_accept_at, due_resolve_at, accept_breached_at, resolve_breached_at, reopen_count,
    rating_overall, rating_speed, rating_attitude, rated_at
)
SELECT gen_random_uuid(), $1,
       cats.codes[(g % cardinality(cats.codes)) + 1],
       cats.departments[(g % cardinality(cats.codes)) + 1],
       gen_random_uuid(), 'app', ((g % 18) + 1)::text, 'bench report', g % 3 > 0, false,
       CASE WHEN bucket < 7 THEN 'closed' WHEN bucket = 7 THEN 'in_progress'
            WHEN bucket = 8 THEN 'submitted' ELSE 'rejected' END,
       CASE WHEN bucket < 8 THEN ($3::uuid[])[((g / 10) % 30) + 1] END,
       submitted, submitted,
       CASE WHEN bucket < 8 THEN submitted + accept_s * interval '1 second' END,
       CASE WHEN bucket < 7 THEN submitted + (accept_s + resolve_s) * interval '1 second' END,
       CASE WHEN bucket < 7 THEN submitted + (accept_s + resolve_s) * interval '1 second' END,
       CASE WHEN bucket < 7 THEN submitted + (accept_s + resolve_s + 3600) * interval '1 second' END,
       submitted + interval '4 hours', submitted + interval '72 hours',
       CASE WHEN bucket < 8 AND accept_s > 4 * 3600 THEN submitted + interval '4 hours' END,
       CASE WHEN bucket < 7 AND accept_s + resolve_s > 72 * 3600 THEN submitted + interval '72 hours' END,
       CASE WHEN g % 23 = 0 THEN 1 ELSE 0 END,
       CASE WHEN bucket < 7 AND g % 2 = 0 THEN 1 + (g % 5) END,
       CASE WHEN bucket < 7 AND g % 2 = 0 THEN 1 + ((g / 5) % 5) END,
       CASE WHEN bucket < 7 AND g % 2 = 0 THEN 1 + ((g / 25) % 5) END,
       CASE WHEN bucket < 7 AND g % 2 = 0 THEN submitted + interval '3 days' END
FROM rows, cats
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"category":"stairwell_lighting","location":{"building":"3","unit":"2"},'
    .. '"description":"bench: stairwell light out"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@contextlib.contextmanager
def running(processes: Processes) -> Iterator[Processes]:
    try:
        yield processes
    finally:
        processes.stop()


MEMORY: dict[str, Any] = {}
STACK: list[Processes] = []


def memory(label: str) -> None:
    """RSS of both services now (issue 16.6: idle <= 120 MB, under load <= 250 MB)."""
    if STACK:
        MEMORY[label] = STACK[-1].rss_mb()
        print(f"memory {label}: {MEMORY[label]} MB (limits: idle 120, under load 250)")


@contextlib.asynccontextmanager
async def stack(namespace: str, signer: TokenSigner) -> AsyncIterator[dict[str, str]]:
    ports = {"reports": free_port(), "gateway": free_port()}
    photo_root = tempfile.mkdtemp(prefix="wlbench-photos-")
    reports_env = service_env(
        "REPORTS_",
        namespace,
        "reports",
        ports["reports"],
        {"REPORTS_JWT_PUBLIC_KEY": signer.public_pem, "REPORTS_PHOTO_ROOT": photo_root},
    )
    gateway_env = service_env(
        "GATEWAY_",
        namespace,
        "gateway",
        ports["gateway"],
        {
            "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
            "GATEWAY_JWT_PUBLIC_KEY": signer.public_pem,
            "GATEWAY_REPORTS_URL": f"http://127.0.0.1:{ports['reports']}",
            "GATEWAY_ERRAND_URL": "http://127.0.0.1:1",
            "GATEWAY_FORUM_URL": "http://127.0.0.1:1",
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
        },
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = Processes()
    try:
        with running(processes):
            processes.start("reports", reports_env)
            await wait_live(urls["reports"])
            processes.start("gateway", gateway_env)
            await wait_live(urls["gateway"])
            urls["reports_db"] = reports_env["REPORTS_DATABASE_URL"]
            STACK.append(processes)
            await asyncio.sleep(2)
            memory("idle")
            yield urls
    finally:
        for env, prefix in ((reports_env, "REPORTS_"), (gateway_env, "GATEWAY_")):
            with contextlib.suppress(Exception):
                await drop_database(env[f"{prefix}DATABASE_URL"])
        with contextlib.suppress(Exception):
            await delete_exchanges(namespace)
        shutil.rmtree(photo_root, ignore_errors=True)


async def delete_exchanges(namespace: str) -> None:
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        for service in ("reports", "gateway"):
            await channel.queue_delete(f"wlbench.{namespace}.{service}.events")
            await channel.queue_delete(f"wlbench.{namespace}.{service}.events.dlq")
        await channel.exchange_delete(f"wlbench.{namespace}.events")
        await channel.exchange_delete(f"wlbench.{namespace}.dlx")


async def bench_stats(
    urls: dict[str, str], manager_token: str, community_id: uuid.UUID, args: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {manager_token}"}
    async with httpx.AsyncClient(base_url=urls["reports"], timeout=120) as client:
        seeded = await client.get("/api/v1/reports/categories", headers=headers)
        seeded.raise_for_status()
        conn = await asyncpg.connect(asyncpg_dsn(urls["reports_db"]))
        try:
            started = time.perf_counter()
            staff = [uuid.uuid4() for _ in range(30)]
            # A year of history arrives as when migration 0005 lands on a database that already
            # holds it: without the change-row triggers, then the fold job rebuilds every cell.
            await conn.execute("ALTER TABLE reports DISABLE TRIGGER USER")
            await conn.execute(BULK_INSERT, community_id, args.reports, staff)
            await conn.execute("ALTER TABLE reports ENABLE TRIGGER USER")
            await conn.execute("ANALYZE reports")
            await conn.execute("DELETE FROM report_stats_state")
            insert_s = time.perf_counter() - started
            total = await conn.fetchval("SELECT count(*) FROM reports WHERE community_id = $1", community_id)
        finally:
            await conn.close()
        print(f"inserted {total} reports with one INSERT ... SELECT in {insert_s:.1f} s")
        fold_s = await wait_folded(urls["reports_db"])
        print(f"the service's fold job rebuilt the stats cells from the reports in {fold_s:.1f} s")
        exact_ms = await time_exact(urls["reports_db"], community_id)
        for _ in range(3):  # warm-up: plans, caches, connection pool
            (await client.get("/api/v1/reports/stats", headers=headers)).raise_for_status()
        memory("after the stats rebuild")
        latencies = []
        body: dict[str, Any] = {}
        for _ in range(args.stats_requests):
            began = time.perf_counter()
            response = await client.get("/api/v1/reports/stats", headers=headers)
            latencies.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
            body = response.json()
    counted = sum(row["count"] for row in body["by_category"])
    limit = 50.0 if total <= 100_000 else 200.0
    result = {
        "reports": int(total),
        "fold_s": round(fold_s, 1),
        "exact_scan_ms": exact_ms,
        "target_p99_ms": limit,
        "requests": args.stats_requests,
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "reports_counted_by_stats": counted,
        "groups": {key: len(body[key]) for key in ("by_category", "by_staff", "by_month")},
    }
    print(
        f"/stats over {total} reports ({args.stats_requests} sequential requests): "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms "
        f"({counted} reports in the last 365 days counted; groups {result['groups']})"
    )
    print(
        f"/stats p99 {result['p99_ms']} ms vs limit {limit:.0f} ms (issue 16.1): "
        f"{'met' if result['p99_ms'] <= limit else 'NOT met'}; the exact scan it replaces: "
        f"{exact_ms} ms (SQL alone, same database, same run)"
    )
    return result


async def wait_folded(database_url: str, give_up_s: float = 900.0) -> float:
    """The fold job runs every second in the service: wait until no change row is left."""
    started = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        while time.perf_counter() - started < give_up_s:
            built = await conn.fetchval("SELECT count(*) FROM report_stats_state")
            left = await conn.fetchval("SELECT count(*) FROM report_stats_changes")
            if built and not left:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return time.perf_counter() - started


async def time_exact(database_url: str, community_id: uuid.UUID, runs: int = 3) -> float:
    """The exact GROUPING SETS scan (reports.service_layer.stats, before issue 16), for comparison."""
    from reports.service_layer.stats import _STATS_SQL

    sql = re.sub(
        r":(community_id|since|until|tz)\b",
        lambda m: "$" + str(1 + ["community_id", "since", "until", "tz"].index(m.group(1))),
        _STATS_SQL.format(extra=""),
    )
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    timings = []
    try:
        until = datetime.now(UTC)
        since = until - timedelta(days=365)
        for _ in range(runs):
            began = time.perf_counter()
            async with conn.transaction():
                await conn.execute("SET LOCAL work_mem = '32MB'")
                await conn.fetch(sql, community_id, since, until, "Asia/Shanghai")
            timings.append((time.perf_counter() - began) * 1000)
    finally:
        await conn.close()
    return round(statistics.median(timings), 1)


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    latency = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", output)
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "latency_avg": latency.group(1) if latency else None,
        "latency_max": latency.group(3) if latency else None,
    }


async def run_wrk(target: str, token: str, args: Any) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % token)
    try:
        command = [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "-s",
            script.name,
            f"{target}/api/v1/reports",
        ]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        output = (await process.communicate())[0].decode()
    finally:
        os.unlink(script.name)
    return {"connections": args.connections, "duration_s": args.duration, **parse_wrk(output)}


async def bench_submit(urls: dict[str, str], resident_token: str, args: Any) -> dict[str, Any]:
    """Through the gateway when it forwards submissions, and straight to the service for
    comparison (what the proxy hop costs)."""
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): submission throughput not measured")
        return {}
    body = {"category": "stairwell_lighting", "location": {"building": "3"}, "description": "probe"}
    headers = {"Authorization": f"Bearer {resident_token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            probe = await client.post(f"{urls['gateway']}/api/v1/reports", json=body, headers=headers)
            forwarded, reason = probe.status_code == 201, f"gateway answered {probe.status_code}"
        except httpx.HTTPError as exc:
            forwarded, reason = False, f"gateway failed: {exc!r}"
    results: dict[str, Any] = {}
    targets = {"direct": urls["reports"]}
    if forwarded:
        targets = {"gateway": urls["gateway"], **targets}
    else:
        print(f"the gateway could not forward a submission ({reason}): measured direct only")
    for via, target in targets.items():
        sample = asyncio.get_running_loop().call_later(
            args.duration * 0.7, memory, f"under load (wrk via {via})"
        )
        result = await run_wrk(target, resident_token, args)
        sample.cancel()
        results[via] = result
        print(
            f"POST /api/v1/reports via {via}: {result['requests_per_second']} requests/s "
            f"({result['requests']} in {args.duration} s, wrk -c{args.connections}, "
            f"non-2xx {result['non_2xx']}, latency avg {result['latency_avg']}, max {result['latency_max']})"
        )
    return results


SUBMIT_SQL = """BEGIN;
SELECT community_id, code, name_zh, name_en, name_ko, department, sla_accept_hours, sla_resolve_hours,
  photo_required, public_area_default, assignment_mode, active, updated_at
  FROM categories WHERE community_id = '{cid}' AND code = 'stairwell_lighting';
INSERT INTO reports (id, community_id, category, department, reporter_id, source, source_thread_id, building,
  unit, room, area, lat, lng, description, public_area, anonymous, status, submitted_at, updated_at,
  due_accept_at, due_resolve_at, open311_token)
  VALUES (gen_random_uuid(), '{cid}', 'stairwell_lighting', 'property', '{uid}', 'app', NULL, '3', '2', NULL,
  NULL, NULL, NULL, 'bench: stairwell light out', true, false, 'submitted', now(), now(),
  now() + interval '4 hours', now() + interval '48 hours', NULL) RETURNING * \\gset
INSERT INTO report_events (community_id, report_id, at, actor_id, action, from_status, to_status, note)
  VALUES ('{cid}', :id, now(), '{uid}', 'submit', NULL, 'submitted', NULL) RETURNING id;
SELECT id, status, submitted_at, support_count FROM reports WHERE community_id = '{cid}'
  AND category = 'stairwell_lighting' AND building = '3' AND public_area IS true
  AND status IN ('in_progress', 'paused', 'assigned', 'submitted', 'accepted', 'reopened')
  AND submitted_at >= now() - interval '7 days' AND id != :id
  ORDER BY support_count DESC, submitted_at DESC LIMIT 5;
SELECT user_id, display_name FROM people WHERE community_id = '{cid}' AND user_id IN ('{uid}');
INSERT INTO outbox_messages (event_id, event_type, body)
  VALUES (gen_random_uuid(), 'reports.report.submitted.v1', '{body}') RETURNING id;
END;
"""

# The submitted event as the service writes it (same size; no "name:" sequences, which pgbench
# would take for variables).
EVENT_BODY = (
    '{"event_id": "dcac8ce5-f477-49d1-9d11-20cba73e6815", "event_type": "reports.report.submitted.v1", '
    '"occurred_at": "2026-12-03T15.28.06.628777Z", "producer": "reports", '
    '"correlation_id": "a15c5b2d132f490dad29dff6c1809ab5", '
    '"actor_id": "c811ae9e-56ba-4ce0-9473-62232b842f69", '
    '"payload": {"community_id": "6e41b93f-22aa-4022-b5a0-2bdfa027d20a", '
    '"report_id": "2e9ccc8f-c8da-4e52-902b-eb911e5cddd5", '
    '"reporter_id": "c811ae9e-56ba-4ce0-9473-62232b842f69", '
    '"category": "stairwell_lighting", "department": "property", "building": "3", "source_thread_id": null, '
    '"status": "submitted", "public_area": true, "due_accept_at": "2026-12-03T19.28.06.055368Z", '
    '"due_resolve_at": "2026-12-05T15.28.06.055368Z"}}'
)


async def bench_pgbench(urls: dict[str, str], community_id: uuid.UUID, args: Any) -> dict[str, Any]:
    """The limit: PostgreSQL alone running the submission's statements at the same concurrency."""
    script = SUBMIT_SQL.format(cid=community_id, uid=uuid.uuid4(), body=EVENT_BODY)
    result = await run_pgbench(
        urls["reports_db"], script, connections=args.connections, seconds=args.duration
    )
    print(
        f"pgbench, the submission's SQL (6 statements + commit, prepared), -c{args.connections}: "
        f"{result.get('tps')} transactions/s, latency avg {result.get('latency_avg_ms')} ms"
        + (f" ({result['error']})" if result.get("error") else "")
    )
    return result


async def run(args: Any) -> dict[str, Any]:
    signer = TokenSigner.generate()
    community_id = uuid.uuid4()
    manager = signer.sign(
        user_id=uuid.uuid4(), community_id=community_id, roles=["property_manager"], ttl_seconds=3600
    )
    resident = signer.sign(
        user_id=uuid.uuid4(),
        community_id=community_id,
        roles=["resident"],
        building="3",
        household_id=uuid.uuid4(),
        ttl_seconds=3600,
    )
    load_before = os.getloadavg()
    async with stack(new_namespace(), signer) as urls:
        stats = await bench_stats(urls, manager, community_id, args)
        submit = await bench_submit(urls, resident, args) if args.duration > 0 else {}
        memory("after the submission load")
        if submit:
            submit["pgbench"] = await bench_pgbench(urls, community_id, args)
            via = submit.get("gateway") or submit.get("direct") or {}
            if via.get("requests_per_second") and submit["pgbench"].get("tps"):
                ratio = via["requests_per_second"] / submit["pgbench"]["tps"]
                submit["ratio_to_pgbench"] = round(ratio, 3)
                print(
                    f"report submission through the gateway / pgbench = {ratio:.3f} vs limit >= 0.5 "
                    f"(issue 16.3): {'met' if ratio >= 0.5 else 'NOT met'}"
                )
    load_after = os.getloadavg()
    # Other work on the machine shares its cores with this run: say how busy it was.
    print(
        f"machine: {os.cpu_count()} CPUs, 1-minute load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    return {
        "benchmark": "reports",
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before[0], 2), round(load_after[0], 2)],
        "stats": stats,
        "submit": submit,
        "memory_mb": MEMORY,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports", description=DESCRIPTION)
    parser.add_argument(
        "--reports", type=int, default=100_000, help="reports to bulk-insert (default 100000)"
    )
    parser.add_argument(
        "--stats-requests", type=int, default=50, help="sequential /stats requests (default 50)"
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="wrk seconds for submission (default 10; 0 skips it)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return 0

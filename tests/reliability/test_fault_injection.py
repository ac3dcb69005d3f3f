"""Fault injection on the event bus, as deployed (issue 9, "Done means"): a RabbitMQ node of the
test's own, the producing service (reports) and the consuming service (forum) as real processes
on fresh databases. 1,000 clients' reports are filed over HTTP while the producer and the
consumer are killed with SIGKILL and started again and the broker node's VM is killed with
SIGKILL and started again. Then:

- no lost client request: every request answered 2xx (a client retries a failed request with the
  same Idempotency-Key, as docs/contract.md asks) is a report in the producer's database, and every report
  there was answered to its client;
- exactly one effect per produced event: each report's `reports.report.submitted.v1` is in the
  consumer's inbox once and has made exactly one keyword mention (its effect); nothing is in the
  DLQ, nothing is left in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import text

from servicekit.db import create_engine, drop_database
from servicekit.tokens import TokenSigner
from tests.reliability.processes import ServiceProcess, service_env
from tests.reliability.rabbit_node import RabbitNode

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REQUESTS = 1000
CLIENTS = 8
SUBMITTED = "reports.report.submitted.v1"


async def scalar(url: str, sql: str) -> Any:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def services(
    node: RabbitNode, namespace: str, signer: TokenSigner
) -> AsyncIterator[dict[str, ServiceProcess]]:
    workdir = Path(tempfile.mkdtemp(prefix="wltest-faults-"))
    common = {"JWT_PUBLIC_KEY": signer.public_pem}
    forum = ServiceProcess("forum", service_env("forum", namespace, node.url, common), workdir / "forum.log")
    reports = ServiceProcess(
        "reports",
        service_env("reports", namespace, node.url, {**common, "PHOTO_ROOT": str(workdir / "photos")}),
        workdir / "reports.log",
    )
    try:
        # The consumer first: its queue must exist before the first event is published.
        forum.start()
        await forum.wait_live()
        reports.start()
        await reports.wait_live()
        yield {"forum": forum, "reports": reports}
    finally:
        for process in (reports, forum):
            process.stop()
        for process in (reports, forum):
            with contextlib.suppress(Exception):
                await drop_database(process.env[f"{process.module.upper()}_DATABASE_URL"])
        shutil.rmtree(workdir, ignore_errors=True)


class Clients:
    """Residents filing reports; a failed request is retried with the same Idempotency-Key."""

    def __init__(self, url: str, signer: TokenSigner) -> None:
        self.url = url
        community = uuid.uuid4()
        self.tokens = [
            signer.sign(
                user_id=uuid.uuid4(),
                community_id=community,
                roles=["resident"],
                household_id=uuid.uuid4(),
                building=str(n % 9 + 1),
                ttl_seconds=3600,
            )
            for n in range(20)
        ]
        self.next = 0
        self.answered: dict[str, str] = {}  # Idempotency-Key -> report id (2xx)
        self.refused: list[tuple[int, str]] = []
        self.retries = 0

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            await asyncio.gather(*(self._client(client) for _ in range(CLIENTS)))

    async def _client(self, client: httpx.AsyncClient) -> None:
        while self.next < REQUESTS:
            number = self.next
            self.next += 1
            await self._file(client, number)

    async def _file(self, client: httpx.AsyncClient, number: int) -> None:
        key = uuid.uuid4().hex
        token = self.tokens[number % len(self.tokens)]
        body = {
            "category": "stairwell_lighting",
            "location": {"building": "3", "unit": "2", "area": f"stairwell {number}"},
            "description": f"楼道灯坏了 report {number}",
        }
        for _ in range(600):
            try:
                response = await client.post(
                    "/api/v1/reports",
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                )
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code in (200, 201):
                self.answered[key] = response.json()["id"]
                return
            if response is not None and response.status_code not in (409, 429) and response.status_code < 500:
                self.refused.append((response.status_code, response.text[:300]))
                return
            self.retries += 1
            await asyncio.sleep(0.2)
        self.refused.append((0, f"request {number} never answered"))


async def wait_until(predicate: Any, what: str, timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def test_producer_consumer_and_broker_killed_mid_run_lose_nothing_and_apply_each_event_once(
    private_broker: RabbitNode, namespace: str
) -> None:
    signer = TokenSigner.generate()
    loop = asyncio.get_running_loop()
    began = loop.time()
    timeline: list[str] = []

    def mark(what: str) -> None:
        timeline.append(f"{loop.time() - began:6.1f} s {what}")

    async with services(private_broker, namespace, signer) as procs:
        mark("services live")
        reports, forum = procs["reports"], procs["forum"]
        reports_db = reports.env["REPORTS_DATABASE_URL"]
        forum_db = forum.env["FORUM_DATABASE_URL"]
        clients = Clients(reports.url, signer)
        load = asyncio.create_task(clients.run())

        async def answered(count: int) -> bool:
            if load.done():
                load.result()
            return len(clients.answered) >= count

        try:
            await wait_until(lambda: answered(200), "200 answered requests")
            reports.kill()  # the producer dies mid-request, with rows in its outbox
            mark("producer killed")
            reports.start()
            await reports.wait_live()
            mark("producer back")

            await wait_until(lambda: answered(450), "450 answered requests")
            forum.kill()  # the consumer dies with messages in flight (unacked)
            mark("consumer killed")
            forum.start()
            await forum.wait_live()
            mark("consumer back")

            await wait_until(lambda: answered(700), "700 answered requests")
            await asyncio.to_thread(private_broker.hard_kill)
            await asyncio.sleep(2)  # requests keep committing; the outbox holds their events
            mark("broker killed")
            await asyncio.to_thread(private_broker.start)
            mark("broker back")
            await load
            mark("all requests answered")
        finally:
            if not load.done():
                load.cancel()

        assert clients.refused == []
        assert len(clients.answered) == REQUESTS
        answered_ids = set(clients.answered.values())
        assert len(answered_ids) == REQUESTS

        produced = {str(row[0]) for row in await rows(reports_db, "SELECT id FROM reports")}
        # No lost client request, and no report that no client was answered for.
        assert produced == answered_ids

        async def all_applied() -> bool:
            count = await scalar(
                forum_db, f"SELECT count(*) FROM processed_events WHERE event_type = '{SUBMITTED}'"
            )
            return int(count) >= REQUESTS

        await wait_until(all_applied, "every event in the consumer's inbox")
        # The bound: after any broker return, a hard kill included, the backlog drains
        # within 60 s (counted from the last answered request, later than the node's return).
        await wait_until(
            lambda: _equals(scalar(reports_db, "SELECT count(*) FROM outbox_messages"), 0),
            "the outbox to drain",
            timeout=60,
        )
        mark("every event applied, outbox empty")
        await asyncio.sleep(2)  # a late duplicate would arrive now and show as a second effect

        inbox = await scalar(
            forum_db, f"SELECT count(*) FROM processed_events WHERE event_type = '{SUBMITTED}'"
        )
        assert inbox == REQUESTS
        effects = await rows(
            forum_db,
            "SELECT source_id, count(*) FROM keyword_mentions"
            " WHERE source_kind = 'report' GROUP BY source_id",
        )
        assert {str(source_id) for source_id, _ in effects} == produced
        assert all(count == 1 for _, count in effects)
        assert await dead_letters(private_broker, forum.env["FORUM_QUEUE_PREFIX"] + "forum.events.dlq") == 0
        print(
            f"fault injection: {REQUESTS} requests, {clients.retries} client retries", *timeline, sep="\n  "
        )


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


async def dead_letters(node: RabbitNode, queue_name: str) -> int:
    connection = await aio_pika.connect(node.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        return int(queue.declaration_result.message_count or 0)

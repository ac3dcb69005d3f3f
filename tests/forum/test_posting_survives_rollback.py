"""A post whose transaction rolls back leaves nothing that refuses its retry.

The duplicate-post guard used to claim the text in Redis (SET NX) before the database committed:
when the transaction then failed (the process killed mid-request, a database error), the
Idempotency-Key row rolled back but the Redis key stayed, and the client's retry with the same
key got 409 `duplicate_post` for a post that did not exist. The faults here are real: a database
error raised by a trigger on `posts` after the guard ran, and a forum process killed with SIGKILL
while its posting transaction is open in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from forum.config import Settings
from forum.main import MIGRATIONS
from servicekit.db import asyncpg_dsn
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, new_namespace
from tests.forum.helpers import SIGNER, Forum, Person, eventually, forum_settings, person, running_forum

T = "/api/v1/forum/threads"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def fault_once(settings: Settings, marker: str, action: str) -> None:
    """The first insert of a post whose body contains `marker` runs `action` (PL/pgSQL); later
    ones pass. A sequence counts, because it is the one thing a rolled-back transaction keeps."""
    name = f"fault_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url.get_secret_value()))
    try:
        await connection.execute(f"CREATE SEQUENCE {name}")
        await connection.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF position('{marker}' in NEW.body) > 0 AND nextval('{name}') = 1 THEN
                {action};
              END IF;
              RETURN NEW;
            END $$"""
        )
        await connection.execute(
            f"CREATE TRIGGER {name} BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    finally:
        await connection.close()


async def posts_with(settings: Settings, marker: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url.get_secret_value()))
    try:
        return int(
            await connection.fetchval("SELECT count(*) FROM posts WHERE position($1 in body) > 0", marker)
        )
    finally:
        await connection.close()


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_a_post_that_rolled_back_is_accepted_on_retry(forum: Forum, kind: str) -> None:
    community = uuid.uuid4()
    author = person(community, household_id=uuid.uuid4())
    marker = f"故障-{uuid.uuid4().hex[:8]}"
    if kind == "thread":
        url, body = T, {"board": "grievances", "title": "楼道灯坏了", "body": f"三楼不亮 {marker}"}
    else:
        opening = await forum.client.post(
            T, json={"board": "grievances", "title": "电梯", "body": "电梯又停了"}, headers=author.headers
        )
        assert opening.status_code == 201
        url, body = f"{T}/{opening.json()['id']}/posts", {"body": f"我家也是 {marker}"}
    await fault_once(forum.settings, marker, "RAISE EXCEPTION 'injected fault after the posting guard'")
    headers = {**author.headers, "Idempotency-Key": f"post-{uuid.uuid4()}"}
    # The app's own 500 answer, not the exception re-raised into the test.
    transport = httpx.ASGITransport(app=forum.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        failed = await client.post(url, json=body, headers=headers)
        assert failed.status_code == 500  # the injected database error; nothing committed
        assert await posts_with(forum.settings, marker) == 0

        retried = await client.post(url, json=body, headers=headers)
        assert retried.status_code == 201, retried.text
        replayed = await client.post(url, json=body, headers=headers)
        assert replayed.status_code == 201
        assert replayed.json() == retried.json()
        assert await posts_with(forum.settings, marker) == 1
        # The guard still works for what did commit: the same text under another key is a duplicate.
        again = await client.post(url, json=body, headers={**author.headers, "Idempotency-Key": "other"})
        assert again.status_code == 409
        assert again.json()["code"] == "duplicate_post"


async def test_a_refused_post_does_not_count_as_posted(forum: Forum) -> None:
    """A post refused after the guard (here: a database error on its first attempt) neither
    blocks its text nor uses up the member's posts of the minute."""
    community = uuid.uuid4()
    author = person(community, household_id=uuid.uuid4())
    marker = f"限额-{uuid.uuid4().hex[:8]}"
    await fault_once(forum.settings, marker, "RAISE EXCEPTION 'injected fault'")
    transport = httpx.ASGITransport(app=forum.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        body = {"board": "grievances", "title": "停车", "body": f"车位 {marker}"}
        assert (await client.post(T, json=body, headers=author.headers)).status_code == 500
        assert (await client.post(T, json=body, headers=author.headers)).status_code == 201
    assert await posts_with(forum.settings, marker) == 1


# -- a real crash: the forum process killed while its posting transaction is open ----------------


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def forum_process(settings: Settings, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": settings.database_url.get_secret_value(),
        "FORUM_AMQP_URL": settings.amqp_url.get_secret_value(),
        "FORUM_EVENTS_EXCHANGE": settings.events_exchange,
        "FORUM_DEAD_LETTER_EXCHANGE": settings.dead_letter_exchange,
        "FORUM_QUEUE_PREFIX": settings.queue_prefix,
        "FORUM_REDIS_PREFIX": settings.redis_prefix,
        "FORUM_JWT_PUBLIC_KEY": SIGNER.public_pem,
        "FORUM_JOBS_ENABLED": "false",
        "FORUM_HTTP_PORT": str(port),
        "FORUM_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "forum"], env=env, stdout=output, stderr=output)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_live(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:

        async def live() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get("/health/live")).status_code == 200
            return False

        await eventually(live, what="forum process live", attempts=1200)


async def test_retry_after_the_process_died_mid_post_creates_exactly_one_post(tmp_path: Path) -> None:
    namespace = new_namespace()
    settings = forum_settings(namespace)
    marker = f"宕机-{uuid.uuid4().hex[:8]}"
    author: Person = person(uuid.uuid4(), household_id=uuid.uuid4())
    body = {"board": "grievances", "title": "漏水", "body": f"楼上漏水 {marker}"}
    headers = {**author.headers, "Idempotency-Key": f"crash-{uuid.uuid4()}"}
    try:
        async with isolated_database(settings):
            await migrate(settings, MIGRATIONS)
            # The first such post holds its transaction open (inside the insert, after the guard)
            # long enough for the test to kill the process under it.
            await fault_once(settings, marker, "PERFORM pg_sleep(3)")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with forum_process(settings, port, tmp_path / "forum-1.log") as first:
                await wait_live(base)
                async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                    request = asyncio.create_task(client.post(T, json=body, headers=headers))
                    dsn = asyncpg_dsn(settings.database_url.get_secret_value())
                    watcher = await asyncpg.connect(dsn)
                    try:

                        async def in_flight() -> bool:
                            return bool(
                                await watcher.fetchval(
                                    "SELECT count(*) FROM pg_stat_activity"
                                    " WHERE datname = current_database() AND wait_event = 'PgSleep'"
                                )
                            )

                        await eventually(in_flight, what="posting transaction open", attempts=600)
                    finally:
                        await watcher.close()
                    os.kill(first.pid, signal.SIGKILL)
                    first.wait()
                    with pytest.raises(httpx.HTTPError):
                        await request
            assert await posts_with(settings, marker) == 0

            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with forum_process(settings, port, tmp_path / "forum-2.log"):
                await wait_live(base)
                async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                    retried = await client.post(T, json=body, headers=headers)
                    assert retried.status_code == 201, retried.text
                    replayed = await client.post(T, json=body, headers=headers)
                    assert (replayed.status_code, replayed.json()) == (201, retried.json())
            assert await posts_with(settings, marker) == 1
    finally:
        await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)

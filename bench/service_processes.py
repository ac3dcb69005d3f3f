"""Service processes for benchmarks that measure over real HTTP: each service started as it is
deployed (`python -m <service>`), on its own throw-away database and a private exchange."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterable

import aio_pika
import httpx
import redis.asyncio as aioredis

from servicekit.db import drop_database
from servicekit.settings import DEV_AMQP_URL, DEV_DATABASE_HOST


class Processes:
    """Service processes a benchmark started (stopped by their own pid only)."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []
        self.modules: list[str] = []

    def rss_mb(self) -> dict[str, dict[str, float]]:
        """Resident memory of each service: its own process and with its child processes (photo
        decoders), in MB, from /proc (issue 16.6)."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry))

        def rss(pid: int) -> float:
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            return int(line.split()[1]) / 1024
            except OSError:
                pass
            return 0.0

        out: dict[str, dict[str, float]] = {}
        for module, process in zip(self.modules, self.running, strict=True):
            tree, todo = 0.0, [process.pid]
            while todo:
                pid = todo.pop()
                tree += rss(pid)
                todo.extend(children.get(pid, []))
            out[module] = {"process": round(rss(process.pid), 1), "with_children": round(tree, 1)}
        return out

    def start(self, module: str, env: dict[str, str]) -> None:
        self.modules.append(module)
        self.running.append(
            subprocess.Popen(
                [sys.executable, "-m", module],
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def stop(self) -> None:
        for process in reversed(self.running):
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def service_env(prefix: str, namespace: str, name: str, port: int, extra: dict[str, str]) -> dict[str, str]:
    """The environment that puts one service on its own database and the benchmark's exchange."""
    return {
        f"{prefix}DATABASE_URL": f"{DEV_DATABASE_HOST}/wlbench_{namespace}_{name}",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}EVENTS_EXCHANGE": f"wlbench.{namespace}.events",
        f"{prefix}DEAD_LETTER_EXCHANGE": f"wlbench.{namespace}.dlx",
        f"{prefix}QUEUE_PREFIX": f"wlbench.{namespace}.",
        f"{prefix}LOG_LEVEL": "WARNING",
        **extra,
    }


async def wait_live(url: str, within_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def remove_bench_state(namespace: str, database_urls: Iterable[str], services: Iterable[str]) -> None:
    """Drop what a benchmark's services made: their databases, their queues and the private
    exchanges, and the Redis keys under ``wlbench:<namespace>:``. Never raises for a part that is
    already gone."""
    for url in database_urls:
        with contextlib.suppress(Exception):
            await drop_database(url)
    with contextlib.suppress(Exception):
        connection = await aio_pika.connect(DEV_AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for service in services:
                await channel.queue_delete(f"wlbench.{namespace}.{service}.events")
                await channel.queue_delete(f"wlbench.{namespace}.{service}.events.dlq")
            await channel.exchange_delete(f"wlbench.{namespace}.events")
            await channel.exchange_delete(f"wlbench.{namespace}.dlx")
    redis = aioredis.from_url("redis://127.0.0.1:6379/0")
    try:
        async for key in redis.scan_iter(match=f"wlbench:{namespace}:*", count=1000):
            await redis.delete(key)
    finally:
        await redis.aclose()

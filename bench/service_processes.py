"""Service processes for benchmarks that measure over real HTTP: each service started as it is
deployed (`python -m <service>`), on its own throw-away database and a private exchange."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time

import httpx

from servicekit.settings import DEV_DATABASE_HOST


class Processes:
    """Service processes a benchmark started (stopped by their own pid only)."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, module: str, env: dict[str, str]) -> None:
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

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

"""Services as real processes (``python -m <service>``, as deployed) that a test may SIGKILL and
start again, each on a database of the test's own and a broker of the test's choosing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from servicekit.settings import DEV_DATABASE_HOST
from servicekit.stack import free_port


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        prefix = f"{self.module.upper()}_"
        return f"http://127.0.0.1:{self.env[prefix + 'HTTP_PORT']}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_live(self, within_seconds: float = 90) -> None:
        deadline = time.monotonic() + within_seconds
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.module} exited: {self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/health/live", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.module} did not come up: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no unacked message returned, no transaction finished."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def service_env(
    service: str, namespace: str, amqp_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """One service's environment: its own database, the test's exchange and broker, small pools."""
    prefix = f"{service.upper()}_"
    values = {
        "DATABASE_URL": f"{DEV_DATABASE_HOST}/wltest_{namespace}_{service}",
        "AMQP_URL": amqp_url,
        "HTTP_PORT": str(free_port()),
        "EVENTS_EXCHANGE": f"wltest.{namespace}.events",
        "DEAD_LETTER_EXCHANGE": f"wltest.{namespace}.dlx",
        "QUEUE_PREFIX": f"wltest.{namespace}.",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "8",
        "DB_MAX_OVERFLOW": "4",
        "CONSUMER_PREFETCH": "8",
        "RETRY_BASE_DELAY_SECONDS": "0.05",
        "RETRY_MAX_DELAY_SECONDS": "0.5",
        "OUTBOX_FALLBACK_POLL_SECONDS": "1",
        "OUTBOX_MAX_BACKOFF_SECONDS": "2",
        **(extra or {}),
    }
    return {prefix + name: value for name, value in values.items()}

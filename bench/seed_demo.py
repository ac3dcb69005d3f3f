"""The first run's demo community, as the README's run command makes it: `scripts/run_local.py`
starts the four services as processes (throw-away databases, queues and ports), seeds the demo
community once they are ready, and this benchmark times the seeding from the runner's own
"seeding ..." line to the demo logins, then stops the run with Ctrl-C and cleans up.
Prints figures, never asserts. Plain lines, then one JSON line last.

    python -m bench seed_demo [--scale 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from errand.config import Settings as ErrandSettings
from forum.config import Settings as ForumSettings
from gateway.config import Settings as GatewaySettings
from reports.config import Settings as ReportsSettings
from servicekit.db import drop_database
from servicekit.settings import BaseServiceSettings
from servicekit.testing import delete_messaging, isolated_settings, new_namespace

DESCRIPTION = "first run: the demo community seeded by `dev.py run` (accounts, history) (s)"
ROOT = Path(__file__).resolve().parent.parent
CLASSES: dict[str, type[BaseServiceSettings]] = {
    "gateway": GatewaySettings,
    "errand": ErrandSettings,
    "reports": ReportsSettings,
    "forum": ForumSettings,
}
TIMEOUT = 600.0


def free_ports(count: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def environment(settings: dict[str, BaseServiceSettings], ports: dict[str, int]) -> dict[str, str]:
    prefixes = tuple(f"{name.upper()}_" for name in CLASSES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    for name, s in settings.items():
        pfx = f"{name.upper()}_"
        env[f"{pfx}DATABASE_URL"] = s.database_url.get_secret_value()
        env[f"{pfx}EVENTS_EXCHANGE"] = s.events_exchange
        env[f"{pfx}DEAD_LETTER_EXCHANGE"] = s.dead_letter_exchange
        env[f"{pfx}QUEUE_PREFIX"] = s.queue_prefix
        env[f"{pfx}QUEUE_EXPIRES_SECONDS"] = str(s.queue_expires_seconds)
        env[f"{pfx}HTTP_HOST"] = "127.0.0.1"
        env[f"{pfx}HTTP_PORT"] = str(ports[name])
    for name in ("errand", "reports", "forum"):
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    return env


async def run(scale: float) -> dict[str, Any]:
    namespace = new_namespace()
    settings = {
        name: isolated_settings(cls, namespace=namespace, service_name=name) for name, cls in CLASSES.items()
    }
    ports = dict(zip(CLASSES, free_ports(len(CLASSES)), strict=True))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "scripts/run_local.py",
        "--demo-scale",
        str(scale),
        cwd=ROOT,
        env=environment(settings, ports),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    figures: dict[str, Any] = {"scale": scale}
    logins: list[str] = []
    started = time.monotonic()
    seeding_at: float | None = None
    try:
        assert process.stdout is not None
        while time.monotonic() - started < TIMEOUT:
            try:
                # The logins come as one block: a quiet moment after them ends the reading.
                raw = await asyncio.wait_for(process.stdout.readline(), 5 if logins else TIMEOUT)
            except TimeoutError:
                break
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip()
            if line.startswith("["):
                continue  # the services' own logs
            print(line, flush=True)
            if "seeding the demo community" in line and seeding_at is None:
                seeding_at = time.monotonic()
                figures["ready_s"] = round(seeding_at - started, 1)
            elif "seeding the demo community failed" in line:
                figures["error"] = line
                break
            elif match := re.search(r"seeded in (\d+) s", line):
                figures["seeder_reported_s"] = int(match.group(1))
            elif line.startswith("demo-login"):
                logins.append(line)
                if seeding_at is not None:
                    figures["seed_s"] = round(time.monotonic() - seeding_at, 1)
            elif logins:
                break
        figures["logins"] = len(logins)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for s in settings.values():
            await drop_database(s.database_url.get_secret_value())
            await delete_messaging(s, s.queue_name, s.dead_letter_queue_name)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench seed_demo", description=DESCRIPTION)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.scale))
    print(json.dumps({"benchmark": "seed_demo", **figures}, ensure_ascii=False))
    return 0 if "seed_s" in figures else 1

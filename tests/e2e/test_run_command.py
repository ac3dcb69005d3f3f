"""The README's run command, for real: `python3 dev.py run` starts the whole system and stops it.

Real PostgreSQL, Redis and RabbitMQ, real processes. Every run gets its own databases, exchanges,
queues and free HTTP ports (nothing collides with a developer's running system), and everything
it starts is killed and removed afterwards, whether or not the assertions held.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from errand.config import Settings as ErrandSettings
from forum.config import Settings as ForumSettings
from gateway.config import Settings as GatewaySettings
from payments.config import Settings as PaymentsSettings
from reports.config import Settings as ReportsSettings
from servicekit.db import drop_database
from servicekit.settings import BaseServiceSettings
from servicekit.testing import delete_messaging, isolated_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_CLASSES: dict[str, type[BaseServiceSettings]] = {
    "gateway": GatewaySettings,
    "errand": ErrandSettings,
    "reports": ReportsSettings,
    "forum": ForumSettings,
    "payments": PaymentsSettings,
}
UPSTREAMS = ("errand", "reports", "forum", "payments")
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
FAIL_TIMEOUT = 30.0


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (held together while choosing, so they are distinct)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def port_is_closed(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


@dataclass
class Isolation:
    """One test's private system: settings per service and the environment that selects them."""

    settings: dict[str, BaseServiceSettings]
    ports: dict[str, int]

    def env(self, **overrides: str) -> dict[str, str]:
        # Start from a clean slate: a developer's own GATEWAY_*/ERRAND_*... must not leak in.
        prefixes = tuple(f"{name.upper()}_" for name in SETTINGS_CLASSES)
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        for name, s in self.settings.items():
            pfx = f"{name.upper()}_"
            env[f"{pfx}DATABASE_URL"] = s.database_url.get_secret_value()
            env[f"{pfx}EVENTS_EXCHANGE"] = s.events_exchange
            env[f"{pfx}DEAD_LETTER_EXCHANGE"] = s.dead_letter_exchange
            env[f"{pfx}QUEUE_PREFIX"] = s.queue_prefix
            env[f"{pfx}QUEUE_EXPIRES_SECONDS"] = str(s.queue_expires_seconds)
            env[f"{pfx}HTTP_HOST"] = "127.0.0.1"
            env[f"{pfx}HTTP_PORT"] = str(self.ports[name])
        for name in UPSTREAMS:
            env[f"GATEWAY_{name.upper()}_URL"] = self.url(name)
        env.update(overrides)
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


@pytest.fixture
async def isolation(namespace: str) -> AsyncIterator[Isolation]:
    settings = {
        name: isolated_settings(cls, namespace=namespace, service_name=name)
        for name, cls in SETTINGS_CLASSES.items()
    }
    ports = dict(zip(SETTINGS_CLASSES, free_ports(len(SETTINGS_CLASSES)), strict=True))
    try:
        yield Isolation(settings, ports)
    finally:
        # The services created these (or nothing, when the run was refused); all are idempotent.
        for s in settings.values():
            await retrying(lambda s=s: drop_database(s.database_url.get_secret_value()))
            await retrying(lambda s=s: delete_messaging(s, s.queue_name, s.dead_letter_queue_name))


async def retrying(action: Callable[[], Awaitable[None]], timeout: float = 30.0) -> None:
    """Clean-up that outlasts a short outage (other suites stop the broker on purpose)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await action()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


@dataclass
class RunCommand:
    """`python3 dev.py run` in its own process group, its output collected as it comes."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, env: Mapping[str, str]) -> RunCommand:
        process = await asyncio.create_subprocess_exec(
            "python3",
            "dev.py",
            "run",
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own group, like a terminal's foreground job: Ctrl-C is a SIGINT to the group.
            start_new_session=True,
        )
        run = cls(process)
        run.reader = asyncio.create_task(run._read())
        return run

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def describe(self) -> str:
        return f"exit status {self.process.returncode}; output:\n{self.output}"

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def group_is_gone(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    async def printed(self, text: str, timeout: float) -> bool:
        """Whether ``text`` appears in the output within ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.output:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def wait(self, timeout: float) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self.reader is not None:
            await asyncio.wait_for(self.reader, 5)
        return code

    async def kill(self) -> None:
        """Whatever happened, nothing of this run survives the test (the services share the group)."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)


@contextlib.asynccontextmanager
async def run_command(env: Mapping[str, str]) -> AsyncIterator[RunCommand]:
    run = await RunCommand.start(env)
    try:
        yield run
    finally:
        await run.kill()


async def wait_ready(client: httpx.AsyncClient, run: RunCommand, url: str) -> httpx.Response:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if run.process.returncode is not None:
            pytest.fail(f"`dev.py run` ended before the gateway was ready: {run.describe()}")
        try:
            response = await client.get(f"{url}/health/ready")
            # Upstreams are advisory in the gateway's readiness (one down never takes the edge
            # out), so "the whole system is up" is every check passing, not just the 200.
            if response.status_code == 200 and all(c["ok"] for c in response.json()["checks"].values()):
                return response
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            pytest.fail(f"gateway not ready after {READY_TIMEOUT:.0f} s: {run.describe()}")
        await asyncio.sleep(0.5)


@pytest.mark.slow
async def test_run_starts_the_whole_system_and_ctrl_c_stops_it(isolation: Isolation) -> None:
    async with run_command(isolation.env()) as run, httpx.AsyncClient(timeout=5) as client:
        started = time.monotonic()
        response = await wait_ready(client, run, isolation.url("gateway"))
        ready_after = time.monotonic() - started

        body = response.json()
        assert body["status"] == "ready", body
        assert body["service"] == "gateway"
        for check in ("database", "broker", *(f"upstream:{name}" for name in UPSTREAMS)):
            assert body["checks"][check]["ok"] is True, (check, body)
        for name in UPSTREAMS:
            own = await client.get(f"{isolation.url(name)}/health/ready")
            assert own.status_code == 200, (name, own.text)
            assert own.json()["service"] == name
        # The runner prints its banner after its own readiness poll, which may end a moment after ours.
        assert await run.printed("Press Ctrl-C to stop.", timeout=30), run.describe()
        assert "[errand] " in run.output  # each service's output, prefixed with its name

        run.signal_group(signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            code = await run.wait(STOP_TIMEOUT)
        except TimeoutError:
            pytest.fail(f"still running {STOP_TIMEOUT:.0f} s after Ctrl-C: {run.describe()}")
        assert code == 0, run.describe()
        assert "stopped" in run.output, run.describe()
        assert "Traceback" not in run.output, run.describe()
        for name, port in isolation.ports.items():
            assert port_is_closed(port), f"{name} still listens on {port}: {run.describe()}"
        assert run.group_is_gone(), f"processes of the run survived it: {run.describe()}"
        print(f"ready after {ready_after:.1f} s")


@pytest.mark.parametrize(
    ("setting", "server", "start_command"),
    [
        ("ERRAND_AMQP_URL", "RabbitMQ", "rabbitmq-server -detached"),
        ("ERRAND_DATABASE_URL", "PostgreSQL", "pg_ctlcluster"),
    ],
)
async def test_run_refuses_clearly_when_a_server_is_unreachable(
    isolation: Isolation, setting: str, server: str, start_command: str
) -> None:
    (closed,) = free_ports(1)
    urls = {
        "ERRAND_AMQP_URL": f"amqp://guest:guest-secret@127.0.0.1:{closed}/",
        "ERRAND_DATABASE_URL": f"postgresql+asyncpg://postgres:pg-secret@127.0.0.1:{closed}/wltest_unreachable",
    }
    async with run_command(isolation.env(**{setting: urls[setting]})) as run:
        code = await run.wait(FAIL_TIMEOUT)
        assert code == 1, run.describe()
        assert server in run.output, run.describe()
        assert f"127.0.0.1:{closed}" in run.output, run.describe()
        assert start_command in run.output, run.describe()
        assert "Traceback" not in run.output, run.describe()
        assert "secret" not in run.output, "a password was printed"
        for port in isolation.ports.values():
            assert port_is_closed(port), run.describe()


async def test_run_refuses_a_port_that_is_taken(isolation: Isolation) -> None:
    port = isolation.ports["gateway"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        async with run_command(isolation.env()) as run:
            code = await run.wait(FAIL_TIMEOUT)
    assert code == 1, run.describe()
    assert str(port) in run.output, run.describe()
    assert "already in use" in run.output, run.describe()
    assert "Traceback" not in run.output, run.describe()
    for name in UPSTREAMS:  # refused before anything started
        assert port_is_closed(isolation.ports[name]), run.describe()

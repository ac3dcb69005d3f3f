"""A RabbitMQ node of a test's own, on free ports, that the test may stop, start and kill.

The shared broker (127.0.0.1:5672) is never touched: the node has its own name
(``wltest-<random>@localhost``), AMQP and distribution ports, data and log directories, Erlang
cookie (``HOME``), no plugins, and a configuration file of its own (the machine's
``/etc/rabbitmq`` files name the shared node's listener and node name, so they are not read).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from servicekit.stack import free_port

RABBITMQ_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def rabbitmq_available() -> bool:
    return (RABBITMQ_BIN / "rabbitmq-server").exists() and (RABBITMQ_BIN / "rabbitmqctl").exists()


class RabbitNode:
    """One private node; ``start()`` boots it (again after a stop or a kill, same data)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.name = f"wltest-{uuid.uuid4().hex[:10]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.beam_pid: int | None = None
        self._server: subprocess.Popen[bytes] | None = None
        (base / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base),  # the node's and its CLI's Erlang cookie
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
        }

    def ctl(self, *args: str, timeout: float = 90) -> str:
        result = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.decode()[-2000:]}")
        return result.stdout.decode()

    def start(self) -> None:
        log = (self.base / "server.out").open("ab")
        self._server = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C of the test run is not the node's
        )
        log.close()
        deadline = time.monotonic() + 90
        while True:
            try:
                self.ctl("await_startup", "--timeout", "60")
                break
            except RuntimeError:
                if self._server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.beam_pid = int(self.ctl("eval", "list_to_integer(os:getpid()).").strip())

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")

    def hard_kill(self) -> None:
        """SIGKILL the Erlang VM: no goodbye to clients, no clean shutdown of the queues."""
        if self.beam_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.beam_pid, signal.SIGKILL)
        if self._server is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._server.wait(timeout=30)
        self.beam_pid = None

    def restart_after_kill(self) -> None:
        self.hard_kill()
        self.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.ctl("stop", timeout=60)
        self.hard_kill()


@contextlib.contextmanager
def rabbit_node() -> Iterator[RabbitNode]:
    """A started private node, stopped and deleted afterwards."""
    base = Path(tempfile.mkdtemp(prefix="wltest-rabbit-"))
    node = RabbitNode(base)
    try:
        node.start()
        yield node
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)

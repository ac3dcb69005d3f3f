"""Fixtures shared by every test package.

Integration tests use the real PostgreSQL and RabbitMQ of the machine. Each test gets its own
database(s) and its own exchanges and queues (a random namespace), and removes them afterwards.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import structlog

from servicekit.testing import ISSUED_NAMESPACES, leaked_queues, local_s3_server, new_namespace


def broker_queue_names() -> list[str] | None:
    """The queue names on the shared broker (``rabbitmqctl list_queues``), None when unavailable."""
    if shutil.which("rabbitmqctl") is None:
        return None
    result = subprocess.run(
        ["rabbitmqctl", "list_queues", "name", "--quiet", "--no-table-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return None
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session", autouse=True)
def no_queue_left_behind() -> Iterator[None]:
    """Fails the run when a test left a queue of its own namespace on the shared broker (queues of
    other runs sharing the broker are not this run's to judge)."""
    yield
    if not ISSUED_NAMESPACES:
        return
    names = broker_queue_names()
    if names is None:
        return
    leaked = leaked_queues(names, ISSUED_NAMESPACES)
    if leaked:
        pytest.fail(f"tests left {len(leaked)} queue(s) on the broker: {', '.join(leaked)}", pytrace=False)


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """create_app() and configure_logging() rewire the root logger and structlog; put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    structlog_config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
        structlog.configure(**structlog_config)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3 server for the whole run, started only when a test asks for it."""
    with local_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def photo_backend(request: pytest.FixtureRequest) -> str:
    """Where photos go: local disk or object storage (tests/photo_backends.py)."""
    return str(request.param)

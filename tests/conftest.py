"""Fixtures shared by every test package.

Integration tests use the real PostgreSQL and RabbitMQ of the machine. Each test gets its own
database(s) and its own exchanges and queues (a random namespace), and removes them afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from servicekit.testing import new_namespace


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

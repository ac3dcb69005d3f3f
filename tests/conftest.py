"""Fixtures shared by every test package.

Integration tests use the real PostgreSQL and RabbitMQ of the machine. Each test gets its own
database(s) and its own exchanges and queues (a random namespace), and removes them afterwards.
"""

from __future__ import annotations

import pytest

from servicekit.testing import new_namespace


@pytest.fixture
def namespace() -> str:
    return new_namespace()

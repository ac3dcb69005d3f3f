"""Fault-injection tests: a RabbitMQ node of each test's own (see ``rabbit_node.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.rabbit_node import RabbitNode, rabbit_node, rabbitmq_available


@pytest.fixture
def private_broker() -> Iterator[RabbitNode]:
    if not rabbitmq_available():
        pytest.skip("rabbitmq-server is not installed: a private node cannot be started")
    with rabbit_node() as node:
        yield node

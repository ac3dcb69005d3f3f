"""The whole system fits PostgreSQL's default connection limit (issue 9, item 12).

Each service process opens at most ``Settings.max_db_connections``: its pool (db_pool_size +
db_max_overflow), the outbox relay's LISTEN connection and the start-up migration connection. What
runs is what docker-compose.yml and scripts/run_local.py start: one process per service image.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from errand.config import Settings as ErrandSettings
from forum.config import Settings as ForumSettings
from gateway.config import Settings as GatewaySettings
from payments.config import Settings as PaymentsSettings
from reports.config import Settings as ReportsSettings
from servicekit.settings import BaseServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[2]

SETTINGS: dict[str, type[BaseServiceSettings]] = {
    "errand": ErrandSettings,
    "forum": ForumSettings,
    "gateway": GatewaySettings,
    "payments": PaymentsSettings,
    "reports": ReportsSettings,
}
# PostgreSQL's defaults: max_connections = 100, of which superuser_reserved_connections = 3 are
# kept for superusers.
MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3
# Room left for people and tools: psql sessions, pg_dump, monitoring, the gateway CLI, a bench.
ADMIN_HEADROOM = 10


def compose_services(compose: dict[str, Any]) -> list[str]:
    return sorted(
        name
        for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith("weilinli/")
    )


def run_local_services() -> list[str]:
    tree = ast.parse((REPO_ROOT / "scripts" / "run_local.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "SERVICES" for target in node.targets
        ):
            return sorted(ast.literal_eval(node.value))
    raise AssertionError("scripts/run_local.py has no SERVICES")


def test_every_process_that_runs_is_counted(compose: dict[str, Any]) -> None:
    assert compose_services(compose) == run_local_services() == sorted(SETTINGS)
    for name in compose_services(compose):
        # One process per service: a replica count would multiply its connections.
        assert "replicas" not in (compose["services"][name].get("deploy") or {}), name


def test_default_settings_of_the_whole_system_fit_postgres_default_max_connections(
    compose: dict[str, Any],
) -> None:
    per_service = {name: SETTINGS[name]().max_db_connections for name in compose_services(compose)}
    total = sum(per_service.values())
    assert total + ADMIN_HEADROOM <= MAX_CONNECTIONS - SUPERUSER_RESERVED, per_service


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_pool_covers_the_consumers_and_the_relay_with_room_for_requests(name: str) -> None:
    settings = SETTINGS[name]()
    pooled = settings.db_pool_size + settings.db_max_overflow
    assert settings.consumer_prefetch + settings.relay_pool_connections < pooled
    assert settings.max_db_connections == pooled + 2  # + LISTEN + migration
    assert settings.db_pool_timeout_seconds <= 5  # a request never hangs for the 30 s default

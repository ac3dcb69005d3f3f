"""Replicas starting at once migrate one fresh database once: several real processes run
`python -m <service> migrate` (the Kubernetes init container's command) against the same new
database at the same moment; all succeed and the schema is at head, applied once
(servicekit.migrations holds a PostgreSQL advisory lock around every upgrade)."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys

import pytest
from alembic.script import ScriptDirectory
from tests.services.test_service_migrations import connect, service_settings

from servicekit.db import drop_database
from servicekit.migrations import MIGRATION_LOCK_KEY, alembic_config

pytestmark = pytest.mark.timeout(300)

REPLICAS = 3

# One replica: imports everything, says so, and waits for the word to migrate, so that all of them
# start their upgrade within a millisecond of each other (process start-up alone would spread
# them over seconds and hide a race).
CHILD = """
import asyncio, importlib, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
service = sys.argv[1]
settings = importlib.import_module(service + ".config").Settings()
migrations = importlib.import_module(service + ".main").MIGRATIONS
from servicekit.migrations import migrate
print("waiting", flush=True)
sys.stdin.readline()
asyncio.run(migrate(settings, migrations))
"""


async def _run(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@pytest.mark.parametrize("service", ["gateway"])  # the lock is servicekit's: one service shows it
async def test_replicas_migrating_one_fresh_database_at_once_apply_it_once(
    service: str, namespace: str
) -> None:
    settings, migrations = service_settings(service, namespace)
    url = settings.database_url.get_secret_value()
    prefix = str(settings.model_config.get("env_prefix"))
    env = {**os.environ, f"{prefix}DATABASE_URL": url, f"{prefix}ENVIRONMENT": "development"}
    try:
        processes = [await _run(["-c", CHILD, service], env) for _ in range(REPLICAS)]
        for process in processes:
            assert process.stdout is not None
            while (line := await process.stdout.readline()).strip() != b"waiting":
                assert line, "the replica ended before it was ready"
        for process in processes:  # go: each creates the database if missing, then upgrades
            assert process.stdin is not None
            process.stdin.write(b"go\n")
        outputs = await asyncio.gather(*(p.communicate() for p in processes))
        logs = [output.decode(errors="replace") for output, _ in outputs]
        for process, log in zip(processes, logs, strict=True):
            assert process.returncode == 0, log[-3000:]
        # Each revision ran once: the upgrade lines are all in one process's output.
        head = ScriptDirectory.from_config(alembic_config(migrations, url)).get_current_head()
        assert sum("Running upgrade" in log for log in logs) == 1, logs
        assert sum(f"-> {head}" in log for log in logs) == 1, logs

        # The init container's command on the migrated database: nothing left to do.
        again = await _run(["-m", service, "migrate"], env)
        output, _ = await again.communicate()
        assert again.returncode == 0, output.decode(errors="replace")[-3000:]
        assert b"Running upgrade" not in output

        conn = await connect(settings)
        try:
            versions = await conn.fetch("SELECT version_num FROM alembic_version")
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
                MIGRATION_LOCK_KEY & 0xFFFFFFFF,
            )
        finally:
            await conn.close()
        assert [row["version_num"] for row in versions] == [head]
        assert held == 0  # let go by every process
    finally:
        await drop_database(url)


def test_the_migrate_command_exists_for_every_service() -> None:
    for service in ("errand", "reports", "forum", "gateway"):
        assert importlib.util.find_spec(f"{service}.__main__") is not None

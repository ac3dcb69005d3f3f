"""The limit beside a write benchmark (issue 16.3): PostgreSQL executing the same transaction's SQL
with `pgbench` at the same concurrency, on the same database, in the same run.

Not a benchmark of its own (no DESCRIPTION): bench/reports.py and bench/errand.py call it after
their wrk run. The scripts are the statements the service sends for one request, captured with a
SQLAlchemy `before_cursor_execute` listener, with literal values; pgbench runs them in extended
protocol with prepared statements (as asyncpg does), `\\gset` carrying the new row's id.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from typing import Any

from sqlalchemy.engine import make_url


async def run_pgbench(database_url: str, script: str, *, connections: int, seconds: int) -> dict[str, Any]:
    if shutil.which("pgbench") is None:
        return {"error": "pgbench is not installed (apt-get install postgresql-client)"}
    url = make_url(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        command = [
            "pgbench",
            "-n",
            "-M",
            "prepared",
            f"-c{connections}",
            f"-j{min(connections, os.cpu_count() or 1)}",
            f"-T{seconds}",
            "-f",
            handle.name,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database or "",
        ]
        env = {**os.environ}
        if url.password:
            env["PGPASSWORD"] = url.password
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
        )
        out, err = await process.communicate()
    finally:
        os.unlink(handle.name)
    text = out.decode()
    tps = re.search(r"tps = ([\d.]+)", text)
    latency = re.search(r"latency average = ([\d.]+) ms", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    return {
        "connections": connections,
        "seconds": seconds,
        "tps": float(tps.group(1)) if tps else None,
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "failed": int(failed.group(1)) if failed else None,
        "error": None if tps else (err.decode() or text)[-500:],
    }

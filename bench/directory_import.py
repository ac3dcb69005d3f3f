"""Directory import of a 50,000-household sheet through the gateway's HTTP API (uvicorn on a real
port, throw-away database): the first import (all created), the same sheet again (all unchanged),
a dry run, and the export of the result. Each step is one request, timed end to end by the client.

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx

import gateway.config
import gateway.main
from gateway.cli import run_command
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner

DESCRIPTION = "directory import: 50,000-row CSV created, re-imported unchanged, dry run, export (s)"

SPEC = ServiceSpec("gateway", gateway.config.Settings, gateway.main.create_app, gateway.main.MIGRATIONS)
ADMIN_PHONE, ADMIN_PASSWORD = "13900000001", "bench-admin-pass"


def sheet(rows: int) -> bytes:
    lines = ["楼号,单元,楼层,房号,电梯,独居老人,残疾,低保"]
    for n in range(rows):
        building, rest = divmod(n, 2_500)
        unit, room = divmod(rest, 500)
        elderly = "是" if n % 7 == 0 else "否"
        lines.append(f"{building + 1}号楼,{unit + 1},{room // 4 + 1},{room:04d},是,{elderly},否,否")
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


async def run(rows: int) -> dict[str, Any]:
    signer = TokenSigner.generate()
    overrides = {
        "jwt_private_key": signer.private_pem,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 8192,
        "errand_url": "http://127.0.0.1:1",
        "reports_url": "http://127.0.0.1:1",
        "forum_url": "http://127.0.0.1:1",
        "payments_url": "http://127.0.0.1:1",
    }
    async with running_stack(
        [SPEC], namespace=new_namespace(), public_key_pem=signer.public_pem, overrides={"gateway": overrides}
    ) as stack:
        settings = stack.settings["gateway"]
        assert isinstance(settings, gateway.config.Settings)
        await run_command(["create-admin", "--phone", ADMIN_PHONE, "--password", ADMIN_PASSWORD], settings)
        async with httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=300) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            content = sheet(rows)
            figures: dict[str, Any] = {"rows": rows, "bytes": len(content)}

            async def timed(label: str, dry_run: bool = False) -> None:
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/community/directory/import",
                    params={"dry_run": "true"} if dry_run else None,
                    files={"file": ("directory.csv", content, "text/csv")},
                    headers=headers,
                )
                figures[label] = round(time.perf_counter() - started, 2)
                body = response.json()
                print(f"{label}: {figures[label]} s -> {response.status_code} {body}")

            await timed("first_import_s")
            await timed("reimport_unchanged_s")
            await timed("dry_run_s", dry_run=True)
            started = time.perf_counter()
            export = await client.get("/api/v1/community/directory/export.csv", headers=headers)
            figures["export_s"] = round(time.perf_counter() - started, 2)
            print(f"export_s: {figures['export_s']} s -> {export.status_code}, {len(export.content)} bytes")
            return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench directory_import", description=DESCRIPTION)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.rows))
    print(json.dumps({"benchmark": "directory_import", **figures}))
    return 0

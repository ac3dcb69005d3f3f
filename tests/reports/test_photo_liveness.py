"""Issue 9.3: hostile uploads must not stall the service. The reports service runs as deployed
(`python -m reports` in a process of its own, on a throw-away database and exchange); while three
clients upload decompression-bomb-like PNGs (a few KB each, claiming 36-80 megapixels) at the same
time, `/health/live` is asked every 10 ms and must answer each time in under 100 ms (the bound the
issue names). Before the fix one such upload blocked the service's event loop for seconds."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from reports.config import Settings
from servicekit.db import drop_database
from servicekit.stack import free_port
from servicekit.testing import delete_messaging, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner

SIGNER = TokenSigner.generate()
LIVENESS_BOUND_S = 0.100


def one_colour_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def wait_live(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"reports exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("reports did not come up")


@pytest.fixture(scope="module")
async def base_url() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="reports-photos-") as photo_root:
        settings = isolated_settings(Settings, namespace=new_namespace(), http_port=free_port())
        env = {
            **os.environ,
            "REPORTS_DATABASE_URL": settings.database_url.get_secret_value(),
            "REPORTS_HTTP_PORT": str(settings.http_port),
            "REPORTS_EVENTS_EXCHANGE": settings.events_exchange,
            "REPORTS_DEAD_LETTER_EXCHANGE": settings.dead_letter_exchange,
            "REPORTS_QUEUE_PREFIX": settings.queue_prefix,
            "REPORTS_JWT_PUBLIC_KEY": SIGNER.public_pem,
            "REPORTS_PHOTO_ROOT": photo_root,
            "REPORTS_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "reports"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{settings.http_port}"
            await wait_live(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(Exception):
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
            await drop_database(settings.database_url.get_secret_value())


async def test_health_live_answers_within_100_ms_while_three_hostile_uploads_run(base_url: str) -> None:
    token = SIGNER.sign(
        user_id=uuid.uuid4(),
        community_id=uuid.uuid4(),
        roles=["resident"],
        household_id=uuid.uuid4(),
        building="3",
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    # 80 MP (the probe's 10 KB bomb, refused from its header now) and 36 MP (under the limit, so
    # really decoded and downscaled): each upload's decode is what used to block the loop.
    hostile = [one_colour_png(8944), one_colour_png(6000)]
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        report_ids = []
        for _ in range(3):
            created = await client.post(
                "/api/v1/reports",
                json={
                    "category": "stairwell_lighting",
                    "location": {"building": "3"},
                    "description": "灯坏了",
                },
                headers=headers,
            )
            assert created.status_code == 201, created.text
            report_ids.append(created.json()["id"])

        async def uploader(report_id: str) -> list[int]:
            statuses = []
            for data in hostile:
                response = await client.post(
                    f"/api/v1/reports/{report_id}/photos",
                    files={"file": ("x.png", data, "image/png")},
                    headers=headers,
                )
                statuses.append(response.status_code)
            return statuses

        latencies: list[float] = []
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as probe:
            await probe.get("/health/live")  # the connection is open before timing starts
            uploads = asyncio.gather(*(uploader(rid) for rid in report_ids))
            while not uploads.done():
                started = time.perf_counter()
                response = await probe.get("/health/live")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
                await asyncio.sleep(0.01)
        statuses = await uploads
    assert len(latencies) >= 5, latencies  # the uploads really ran while /health/live was asked
    assert max(latencies) < LIVENESS_BOUND_S, sorted(latencies)[-5:]
    assert statuses == [[422, 201]] * 3  # bombs refused, the rest stored downscaled

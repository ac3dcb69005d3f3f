"""Exports streamed through the gateway's proxy (`*.csv`): the upstream budget bounds each wait
for the next chunk, not the whole download, so a long export is not cut off at the route's
timeout; an upstream that stalls is still cut off."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from servicekit.tokens import TokenSigner
from tests.gateway.helpers import running_gateway, serve_app

pytestmark = pytest.mark.timeout(60)


def slow_exporter() -> FastAPI:
    app = FastAPI()

    async def rows(gap: float, count: int) -> AsyncIterator[bytes]:
        yield "\ufeff编号\r\n".encode()
        for n in range(count):
            await asyncio.sleep(gap)
            yield f"{n}\r\n".encode()

    @app.get("/api/v1/errand/orders/export.csv")
    async def export(gap: float = 0.4, count: int = 6) -> StreamingResponse:
        return StreamingResponse(rows(gap, count), media_type="text/csv; charset=utf-8")

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


async def test_a_long_export_streams_past_the_route_budget_a_stalled_one_is_cut() -> None:
    signer = TokenSigner.generate()
    async with (
        serve_app(slow_exporter()) as upstream,
        running_gateway(uuid.uuid4().hex[:12], signer, errand_url=upstream, errand_timeout_seconds=1.0) as (
            gateway,
            _,
        ),
        httpx.AsyncClient(base_url=gateway, timeout=30) as client,
    ):
        # Six chunks 0.4 s apart: 2.4 s in all, more than twice the errand budget of 1 s.
        whole = await client.get("/api/v1/errand/orders/export.csv")
        assert whole.status_code == 200
        assert whole.content.decode("utf-8-sig").split("\r\n")[:-1] == ["编号", "0", "1", "2", "3", "4", "5"]
        # A gap longer than the budget: the download is cut short rather than held open forever.
        with pytest.raises(httpx.HTTPError):
            stalled = await client.get("/api/v1/errand/orders/export.csv", params={"gap": 2.5, "count": 2})
            assert stalled.content.decode("utf-8-sig").split("\r\n")[:-1] == ["编号", "0", "1"]

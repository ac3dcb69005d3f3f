"""The in-process stack every end-to-end test builds on: four real servers, the gateway reporting
its three upstreams ready."""

from __future__ import annotations

import httpx

from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of


async def test_gateway_reports_every_upstream_ready(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with (
        stack_of(
            ["errand", "reports", "forum", "payments", "gateway"], namespace=namespace, signer=signer
        ) as stack,
        httpx.AsyncClient() as client,
    ):
        ready = await client.get(f"{stack.urls['gateway']}/health/ready")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    for name in (
        "database",
        "broker",
        "redis",
        "upstream:errand",
        "upstream:reports",
        "upstream:forum",
        "upstream:payments",
    ):
        assert checks[name]["ok"] is True, (name, checks)

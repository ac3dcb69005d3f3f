"""/openapi.json merges the services' specs; /health/ready reports each upstream (advisory); and the gateway
routes to the real services of the repository (tests/e2e/stack.py)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.gateway.helpers import running_gateway, serve_app, tiny_upstream, user_token

pytestmark = pytest.mark.timeout(120)


async def test_merged_openapi_and_readiness_per_upstream(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with (
        serve_app(tiny_upstream(signer)) as upstream,
        running_gateway(
            namespace,
            signer,
            errand_url=upstream,
            reports_url=upstream,
            forum_url="http://127.0.0.1:1",
            payments_url=upstream,
        ) as (gateway, _),
        httpx.AsyncClient(base_url=gateway) as client,
    ):
        spec = (await client.get("/openapi.json")).json()
        ready = await client.get("/health/ready")
        docs = await client.get("/docs")
    paths = spec["paths"]
    assert "/api/v1/auth/login" in paths  # the gateway's own
    assert "/api/v1/errand/{rest}" in paths  # from the errand upstream
    assert "/open311/{rest}" in paths  # reports owns Open311
    assert "/api/v1/whoami" not in paths  # outside every prefix the gateway routes
    assert not any(path.startswith("/api/v1/forum") for path in paths)
    assert spec["x-weilinli-unavailable"] == ["forum"]
    assert any(name.startswith("errand.") for name in spec["components"]["schemas"])
    refs = str(paths["/api/v1/errand/{rest}"])
    assert "#/components/schemas/errand." in refs or "$ref" not in refs
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text
    checks = ready.json()["checks"]
    assert ready.status_code == 200  # forum is down: reported, but the gateway still serves
    assert checks["upstream:errand"]["ok"] is True
    assert checks["upstream:reports"]["ok"] is True
    assert checks["upstream:forum"]["ok"] is False
    assert checks["upstream:forum"]["required"] is False


async def test_gateway_routes_to_the_real_services(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with stack_of(
        ["errand", "reports", "forum", "payments", "gateway"], namespace=namespace, signer=signer
    ) as stack:
        gateway = stack.urls["gateway"]
        token = user_token(signer, user_id=uuid.uuid4(), community_id=uuid.uuid4())
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
            ready = await client.get("/health/ready")
            spec = (await client.get("/openapi.json")).json()
            for service in ("errand", "reports", "forum", "payments"):
                direct = await client.get(
                    f"{stack.urls[service]}/api/v1/{service}/no-such-thing",
                    headers={"Authorization": f"Bearer {token}", "X-Request-ID": f"direct-{service}"},
                )
                through = await client.get(
                    f"/api/v1/{service}/no-such-thing",
                    headers={"Authorization": f"Bearer {token}", "X-Request-ID": f"through-{service}"},
                )
                # The same answer from the service either way, with the caller's request id.
                assert through.status_code == direct.status_code
                assert through.json()["code"] == direct.json()["code"]
                assert through.headers["x-request-id"] == f"through-{service}"
                assert through.json()["request_id"] == f"through-{service}"
    assert ready.status_code == 200, ready.text
    assert "x-weilinli-unavailable" not in spec

"""Readiness does not cascade (one upstream down leaves the gateway ready, its breaker answers for
that route) and proxied traffic is visible in /metrics by upstream route template, with bounded
labels (gateway/metrics.py)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from gateway.metrics import MAX_TEMPLATES_PER_UPSTREAM, RouteLabels
from servicekit.middleware import RequestContextMiddleware
from servicekit.tokens import TokenSigner
from tests.gateway.helpers import running_gateway, serve_app, user_token

pytestmark = pytest.mark.timeout(120)


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of the series ``name`` with exactly these labels (0 when absent)."""
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        series, value = line.rsplit(" ", 1)
        if dict(re.findall(r'(\w+)="([^"]*)"', series)) == labels:
            return float(value)
    return 0.0


def errand_like(*, lie: str | None = None) -> FastAPI:
    """A small service built like ours: servicekit's request middleware names the matched route
    template in its answer. ``lie`` answers a made-up template instead (a misbehaving upstream)."""
    app = FastAPI()

    @app.get("/api/v1/errand/orders/{order_id}")
    async def order(order_id: str) -> dict[str, str]:
        return {"id": order_id}

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    if lie is None:
        app.add_middleware(RequestContextMiddleware, service="errand", expose_route=True)
    else:

        @app.middleware("http")
        async def lying(request, call_next):  # type: ignore[no-untyped-def]
            response = await call_next(request)
            response.headers["X-Weilinli-Route"] = lie
            return response

    return app


async def test_one_upstream_down_leaves_the_gateway_ready_and_the_breaker_answers(namespace: str) -> None:
    signer = TokenSigner.generate()
    headers = {"Authorization": f"Bearer {user_token(signer)}"}
    async with (
        serve_app(errand_like()) as errand,
        running_gateway(
            namespace,
            signer,
            errand_url=errand,
            reports_url=errand,
            forum_url="http://127.0.0.1:1",
            breaker_failure_threshold=2,
            breaker_open_seconds=30,
            proxy_retries=0,
        ) as (gateway, _),
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        before = await client.get("/health/ready")
        first = (await client.get("/metrics")).text  # counters are process-wide: compare deltas
        forum = [await client.get("/api/v1/forum/threads", headers=headers) for _ in range(4)]
        after = await client.get("/health/ready")
        errand_answer = await client.get("/api/v1/errand/orders/7", headers=headers)
        metrics = (await client.get("/metrics")).text

    assert before.status_code == 200, before.text
    checks = before.json()["checks"]
    assert checks["upstream:forum"] == {
        "ok": False,
        "detail": "ClientConnectorError",
        "breaker": "closed",
        "required": False,
    }
    assert checks["upstream:errand"]["ok"] is True
    assert checks["database"] == {"ok": True}  # the process's own database stays required
    assert [r.status_code for r in forum] == [502, 502, 503, 503]
    assert forum[-1].json()["code"] == "upstream_unavailable"
    assert after.status_code == 200, after.text
    assert after.json()["status"] == "ready"
    assert after.json()["checks"]["upstream:forum"]["breaker"] == "open"
    assert errand_answer.status_code == 200
    assert sample(metrics, "weilinli_gateway_breaker_state", upstream="forum") == 2.0
    assert sample(metrics, "weilinli_gateway_breaker_state", upstream="errand") == 0.0
    # Requests that never reached the forum are labelled by the routed prefix.
    labels = {"upstream": "forum", "method": "GET", "route": "/api/v1/forum/*"}
    proxied = "weilinli_gateway_proxy_requests_total"
    assert sample(metrics, proxied, **labels, status_class="5xx") == (
        sample(first, proxied, **labels, status_class="5xx") + 4
    )


async def test_proxied_requests_are_labelled_by_the_upstream_route_template(namespace: str) -> None:
    signer = TokenSigner.generate()
    headers = {"Authorization": f"Bearer {user_token(signer)}"}
    order_ids = [str(uuid.uuid4()) for _ in range(3)]
    async with (
        serve_app(errand_like()) as errand,
        serve_app(errand_like(lie="/api/v1/errand/{stolen}")) as liar,
        running_gateway(namespace, signer, errand_url=errand, reports_url=liar, forum_url=liar) as (
            gateway,
            _,
        ),
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        template = "/api/v1/errand/orders/{order_id}"
        labels = {"upstream": "errand", "method": "GET", "route": template, "status_class": "2xx"}
        generic = {"service": "gateway", "method": "GET", "route": template, "status": "200"}
        first = (await client.get("/metrics")).text
        answers = [await client.get(f"/api/v1/errand/orders/{i}", headers=headers) for i in order_ids]
        lied = await client.get("/api/v1/reports/anything", headers=headers)
        metrics = (await client.get("/metrics")).text

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("x-weilinli-route" not in a.headers for a in answers)  # for the gateway's eyes only
    proxied = "weilinli_gateway_proxy_requests_total"
    assert sample(metrics, proxied, **labels) == sample(first, proxied, **labels) + 3
    generic_name = "weilinli_http_requests_total"
    assert sample(metrics, generic_name, **generic) == sample(first, generic_name, **generic) + 3

    def unmatched(text: str) -> list[str]:  # a path nobody routes is "unmatched"; proxied traffic never
        return [
            line
            for line in text.splitlines()
            if line.startswith(generic_name) and 'service="gateway"' in line and 'route="unmatched"' in line
        ]

    assert unmatched(metrics) == unmatched(first)
    assert not any(i in metrics for i in order_ids)  # ids never become labels
    # A template outside the upstream's own prefixes is not believed.
    assert lied.status_code == 404  # the liar has no such route, and says it is "/api/v1/errand/{stolen}"
    assert (
        sample(
            metrics, proxied, upstream="reports", method="GET", route="/api/v1/reports/*", status_class="4xx"
        )
        >= 1
    )
    assert "{stolen}" not in metrics
    assert any(
        line.startswith("weilinli_gateway_proxy_request_seconds_count{") and f'route="{template}"' in line
        for line in metrics.splitlines()
    )


def test_route_labels_stay_bounded() -> None:
    routes = RouteLabels(("/api/v1/errand",))
    assert (
        routes.label("/api/v1/errand/x", b"/api/v1/errand/orders/{order_id}")
        == "/api/v1/errand/orders/{order_id}"
    )
    assert routes.label("/api/v1/errand/x", None) == "/api/v1/errand/*"
    assert routes.label("/api/v1/errand/x", b'/api/v1/errand/\xff"bad') == "/api/v1/errand/*"
    assert routes.label("/api/v1/errand/x", b"/api/v1/forum/threads") == "/api/v1/errand/*"
    assert routes.label("/api/v1/errand/x", b"/api/v1/errandish") == "/api/v1/errand/*"
    seen = {routes.label("/api/v1/errand/x", f"/api/v1/errand/r{i}".encode()) for i in range(1000)}
    # orders/{order_id} took one place; then the kept templates and the prefix label.
    assert len(seen) == MAX_TEMPLATES_PER_UPSTREAM - 1 + 1

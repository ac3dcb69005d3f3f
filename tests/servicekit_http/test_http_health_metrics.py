"""/health/live, /health/ready and /metrics of a running service."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from servicekit import health
from servicekit.db import create_engine
from servicekit.health import database_check, run_checks


async def test_live(kit) -> None:
    response = await kit.client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "live", "service": "errand"}


async def test_ready_checks_database_and_broker(kit) -> None:
    response = await kit.client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["service"] == "errand"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True, "required": False}


async def test_a_database_on_a_closed_port_is_not_ok() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/weilinli_nowhere", pool_size=1)
    try:
        ok, report = await run_checks({"database": database_check(engine)})
    finally:
        await engine.dispose()
    assert ok is False
    assert report["database"]["ok"] is False
    assert report["database"]["detail"]  # the exception's type, never its text


async def test_run_checks_reports_each_check(monkeypatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.2)

    async def fine() -> None:
        return None

    async def reason() -> str:
        return "queue gone"

    async def raises() -> None:
        raise ConnectionError("password=hunter2 at 10.0.0.7")

    async def hangs() -> None:
        await asyncio.sleep(30)

    async def mapping() -> dict[str, object]:
        return {"ok": True, "status": 200}

    ok, report = await run_checks({"fine": fine, "mapping": mapping})
    assert ok is True
    assert report == {"fine": {"ok": True}, "mapping": {"ok": True, "status": 200}}

    ok, report = await run_checks({"fine": fine, "reason": reason, "raises": raises, "hangs": hangs})
    assert ok is False
    assert report == {
        "fine": {"ok": True},
        "reason": {"ok": False, "detail": "queue gone"},
        "raises": {"ok": False, "detail": "ConnectionError"},
        "hangs": {"ok": False, "detail": "timeout"},
    }


async def test_ready_is_503_when_a_check_fails(kit, monkeypatch) -> None:
    async def down() -> str:
        return "down for the test"

    monkeypatch.setitem(kit.app.state.health_checks, "extra", down)
    response = await kit.client.get("/health/ready")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["extra"] == {"ok": False, "detail": "down for the test"}
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True, "required": False}


async def test_ready_is_503_when_the_database_is_unreachable(kit, monkeypatch) -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/weilinli_nowhere", pool_size=1)
    monkeypatch.setitem(kit.app.state.health_checks, "database", database_check(engine))
    try:
        response = await kit.client.get("/health/ready")
    finally:
        await engine.dispose()
    assert response.status_code == 503, response.text
    assert response.json()["checks"]["database"]["ok"] is False
    assert response.json()["checks"]["broker"] == {"ok": True, "required": False}


def counter(metrics: str, **labels: str) -> float:
    """The value of weilinli_http_requests_total with exactly these labels (0 when absent)."""
    for line in metrics.splitlines():
        if not line.startswith("weilinli_http_requests_total{"):
            continue
        series, value = line.rsplit(" ", 1)
        if dict(re.findall(r'(\w+)="([^"]*)"', series)) == labels:
            return float(value)
    return 0.0


async def test_metrics_count_requests_by_route_template(kit) -> None:
    thing_id = str(uuid.uuid4().int % 10**9 + 10**9)
    template = {"service": "errand", "method": "GET", "route": "/things/{thing_id}", "status": "200"}
    before = counter((await kit.client.get("/metrics")).text, **template)
    for _ in range(3):
        assert (await kit.client.get(f"/things/{thing_id}")).status_code == 200
    response = await kit.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE weilinli_http_requests_total counter" in text
    assert counter(text, **template) == before + 3
    assert thing_id not in text  # the concrete id never becomes a label (unbounded cardinality)
    assert any(
        line.startswith("weilinli_http_request_seconds_count{") and 'route="/things/{thing_id}"' in line
        for line in text.splitlines()
    )


async def test_metrics_label_errors_and_unmatched_paths(kit) -> None:
    path = f"/nowhere/{uuid.uuid4().hex}"
    unmatched = {"service": "errand", "method": "GET", "route": "unmatched", "status": "404"}
    taken = {"service": "errand", "method": "POST", "route": "/things/{thing_id}/take", "status": "409"}
    boom = {"service": "errand", "method": "GET", "route": "/boom", "status": "500"}
    before = (await kit.client.get("/metrics")).text
    await kit.client.get(path)
    await kit.client.post("/things/5/take")
    await kit.client.get("/boom")
    after = (await kit.client.get("/metrics")).text
    assert path not in after
    for labels in (unmatched, taken, boom):
        assert counter(after, **labels) == counter(before, **labels) + 1, labels


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/metrics"])
async def test_operational_endpoints_need_no_token(kit, path: str) -> None:
    assert (await kit.client.get(path)).status_code == 200

"""The demo seeder's time (servicekit.clock): honoured only in development, with this run's secret;
a production service never reads it (docs/architecture.md, "The demo community's past")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter
from pydantic import SecretStr, ValidationError

from errand.config import Settings as ErrandSettings
from servicekit.app import create_service_app
from servicekit.clock import DEMO_SECRET_HEADER, DEMO_TIME_HEADER, system_clock

router = APIRouter()


@router.get("/now")
async def now() -> dict[str, str]:
    return {"now": system_clock().isoformat()}


PAST = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
SECRET = "seeding-secret-of-this-run"


async def clock_seen(settings: ErrandSettings, headers: dict[str, str]) -> datetime:
    app = create_service_app(settings, title="t", routers=[router], configure_logs=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/now", headers=headers)
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["now"])


def demo(at: str, secret: str = SECRET) -> dict[str, str]:
    return {DEMO_TIME_HEADER: at, DEMO_SECRET_HEADER: secret}


def recent(at: datetime) -> bool:
    return abs(at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_development_with_the_secret_runs_the_request_at_the_given_time() -> None:
    settings = ErrandSettings(demo_time_secret=SecretStr(SECRET))
    assert await clock_seen(settings, demo(PAST.isoformat())) == PAST
    # The time is the request's alone: the next one without the headers is now again.
    assert recent(await clock_seen(settings, {}))
    assert recent(system_clock())


@pytest.mark.parametrize(
    "headers",
    [
        demo(PAST.isoformat(), secret="wrong"),  # not this run's secret
        {DEMO_TIME_HEADER: PAST.isoformat()},  # no secret at all
        demo("2026-06-01T09:30:00"),  # naive: ambiguous, ignored
        demo("yesterday"),
        demo((datetime.now(UTC) + timedelta(days=3)).isoformat()),  # the future is not history
    ],
)
async def test_without_the_secret_or_with_a_bad_time_the_header_is_ignored(headers: dict[str, str]) -> None:
    settings = ErrandSettings(demo_time_secret=SecretStr(SECRET))
    assert recent(await clock_seen(settings, headers))


async def test_development_without_a_secret_ignores_the_header() -> None:
    assert recent(await clock_seen(ErrandSettings(), demo(PAST.isoformat(), secret="")))
    assert recent(await clock_seen(ErrandSettings(), demo(PAST.isoformat())))


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_the_secret_is_refused_at_start(environment: str) -> None:
    with pytest.raises(ValidationError, match="WEILINLI_DEMO_TIME_SECRET"):
        ErrandSettings(environment=environment, demo_time_secret=SecretStr(SECRET))


async def test_a_production_service_ignores_the_headers() -> None:
    # Production's other required values are beside the point: the settings are built as a
    # deployment would have them, and even a secret forced past validation installs nothing.
    base = ErrandSettings().model_dump()
    for secret in ("", SECRET):
        production = ErrandSettings.model_construct(
            **{**base, "environment": "production", "demo_time_secret": SecretStr(secret)}
        )
        assert recent(await clock_seen(production, demo(PAST.isoformat(), secret=secret or SECRET)))

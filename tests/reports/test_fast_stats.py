"""The maintained statistics cells (fast_stats) answer what the exact scan answers (issue 16.1):
counts and rates equal, percentiles within 1 % (or the response's 0.1 s), on a generated data
set, before and after the change rows are folded, for ranges cut mid-day and at local midnight."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reports.service_layer import fast_stats
from reports.service_layer.stats import compute, compute_exact
from tests.reports.helpers import Community, Person, Service, call, utc

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

# 3,000 reports over 400 days: 6 categories, 7 staff (and unassigned), every status mix, ratings,
# breaches, reopenings, same-second acceptances (0 s) and long tails; seeded random.
GENERATE = """
WITH rows AS (
    SELECT g, CAST(:now AS timestamptz) - (random() * interval '400 days') AS submitted,
           CASE WHEN g % 17 = 0 THEN 0 ELSE random() ^ 3 * 30 * 3600 END AS accept_s,
           random() * 120 * 3600 AS resolve_s, g % 10 AS bucket
    FROM generate_series(1, :n) AS g
)
INSERT INTO reports (
    id, community_id, category, department, reporter_id, source, building, description, public_area,
    anonymous, status, assignee_id, submitted_at, updated_at, accepted_at, first_resolved_at, resolved_at,
    due_accept_at, due_resolve_at, accept_breached_at, resolve_breached_at, reopen_count, rating_overall
)
SELECT gen_random_uuid(), :community,
       (ARRAY['lifts', 'heating', 'water', 'noise', 'parking', 'greening'])[g % 6 + 1],
       'property', gen_random_uuid(), 'app', '1', 'generated', true, false,
       CASE WHEN bucket < 6 THEN 'closed' WHEN bucket < 8 THEN 'in_progress' ELSE 'submitted' END,
       CASE WHEN bucket < 8 AND g % 9 <> 0 THEN (CAST(:staff AS uuid[]))[(g % 7) + 1] END,
       submitted, submitted,
       CASE WHEN bucket < 8 THEN submitted + accept_s * interval '1 second' END,
       CASE WHEN bucket < 6 THEN submitted + (accept_s + resolve_s) * interval '1 second' END,
       CASE WHEN bucket < 6 THEN submitted + (accept_s + resolve_s) * interval '1 second' END,
       submitted + interval '4 hours', submitted + interval '72 hours',
       CASE WHEN bucket < 8 AND accept_s > 4 * 3600 THEN submitted + interval '4 hours' END,
       CASE WHEN bucket < 6 AND accept_s + resolve_s > 72 * 3600 THEN submitted + interval '72 hours' END,
       CASE WHEN g % 13 = 0 THEN 1 ELSE 0 END,
       CASE WHEN bucket < 6 AND g % 3 > 0 THEN 1 + (g % 5) END
FROM rows
"""


async def post(service: Service, person: Person, path: str) -> None:
    assert (await call(service, person, "POST", path)).status_code == 200


def assert_same(fast: dict[str, list[dict[str, Any]]], exact: dict[str, list[dict[str, Any]]]) -> None:
    for grouping in ("by_category", "by_staff", "by_month"):
        assert [row["key"] for row in fast[grouping]] == [row["key"] for row in exact[grouping]], grouping
        for mine, theirs in zip(fast[grouping], exact[grouping], strict=True):
            for name, value in theirs.items():
                if name.endswith("_seconds") and value is not None:
                    assert mine[name] is not None, (grouping, mine["key"], name)
                    assert abs(mine[name] - value) <= max(0.01 * abs(value), 0.1), (grouping, mine, theirs)
                else:
                    assert mine[name] == value, (grouping, mine["key"], name, mine[name], value)


async def both(
    service: Service, community_id: uuid.UUID, since: datetime, until: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    tz = service.settings.community_timezone
    async with service.runtime.uow() as uow:
        fast = await fast_stats.compute(uow, community_id=community_id, since=since, until=until, timezone=tz)
        exact = await compute_exact(uow, community_id=community_id, since=since, until=until, timezone=tz)
    return fast, exact


RANGES = [
    (NOW - timedelta(days=365), NOW),  # the default: partial days at both ends
    (datetime(2026, 3, 31, 16, tzinfo=UTC), datetime(2026, 7, 31, 16, tzinfo=UTC)),  # local midnights
    (datetime(2026, 2, 10, 3, 17, tzinfo=UTC), datetime(2026, 2, 10, 21, 5, tzinfo=UTC)),  # within a day
    (datetime(2025, 12, 30, 22, 1, tzinfo=UTC), datetime(2026, 3, 2, 0, 59, tzinfo=UTC)),
]


@pytest.mark.parametrize("n", [3000])
async def test_cells_answer_like_the_exact_scan(service: Service, community: Community, n: int) -> None:
    staff = [uuid.uuid4() for _ in range(7)]
    await service.sql(GENERATE, now=NOW, community=community.id, staff=staff, n=n)
    # Another community's reports must stay out of every cell of this one.
    await service.sql(GENERATE, now=NOW, community=uuid.uuid4(), staff=staff, n=200)
    tz = service.settings.community_timezone
    assert await fast_stats.fold(service.runtime.uow, tz) >= n + 200  # first run: built from reports
    for since, until in RANGES:
        assert_same(*await both(service, community.id, since, until))

    # Changes after the build: pending change rows answer until they are folded.
    await service.sql(
        "UPDATE reports SET accepted_at = submitted_at + interval '90 minutes', status = 'in_progress', "
        "assignee_id = CAST(:s AS uuid) WHERE community_id = :c AND status = 'submitted' AND random() < 0.5",
        c=community.id,
        s=staff[0],
    )
    await service.sql(
        "UPDATE reports SET reopen_count = reopen_count + 1, rating_overall = NULL "
        "WHERE community_id = :c AND status = 'closed' AND random() < 0.1",
        c=community.id,
    )
    await service.sql("DELETE FROM reports WHERE community_id = :c AND random() < 0.05", c=community.id)
    await service.sql(
        "UPDATE reports SET description = 'no statistics change' WHERE community_id = :c", c=community.id
    )
    pending = await service.sql("SELECT count(*) FROM report_stats_changes")
    assert 0 < pending[0][0] < n  # the description-only update added nothing
    for since, until in RANGES:
        assert_same(*await both(service, community.id, since, until))
    assert await fast_stats.fold(service.runtime.uow, tz) == pending[0][0]
    assert await service.sql("SELECT count(*) FROM report_stats_changes") == [(0,)]
    for since, until in RANGES:
        assert_same(*await both(service, community.id, since, until))

    # A different community time zone rebuilds the cells (local days and months move).
    assert await fast_stats.fold(service.runtime.uow, "Europe/Berlin") > 0
    async with service.runtime.uow() as uow:
        assert await fast_stats.ready(uow, "Europe/Berlin")
        assert not await fast_stats.ready(uow, tz)
        for since, until in RANGES:
            kwargs: dict[str, Any] = {"community_id": community.id, "since": since, "until": until}
            assert_same(
                await fast_stats.compute(uow, timezone="Europe/Berlin", **kwargs),
                await compute_exact(uow, timezone="Europe/Berlin", **kwargs),
            )
        # The service's own entry point does not use cells of another time zone.
        assert await compute(uow, timezone=tz, **kwargs) == await compute_exact(uow, timezone=tz, **kwargs)
    await fast_stats.fold(service.runtime.uow, tz)


async def test_stats_endpoint_follows_the_api_writes(service: Service, community: Community) -> None:
    """Reports filed and handled through the API reach the cells through the trigger."""
    await fast_stats.fold(service.runtime.uow, service.settings.community_timezone)
    reporter = community.resident()
    committee = community.person("committee")
    start = utc(2026, 10, 10, 8)
    service.set_clock(start)
    rid = (await community.submit(reporter, category="heating"))["id"]
    heating_manager = await community.staff("property_manager", "heating")
    service.set_clock(start + timedelta(minutes=42))
    await post(service, heating_manager, f"/api/v1/reports/{rid}/accept")
    await community.submit(reporter)
    service.set_clock(start + timedelta(hours=2))
    params = {"since": "2026-10-01T00:00:00Z"}
    before_fold = (await call(service, committee, "GET", "/api/v1/reports/stats", params=params)).json()
    await fast_stats.fold(service.runtime.uow, service.settings.community_timezone)
    after_fold = (await call(service, committee, "GET", "/api/v1/reports/stats", params=params)).json()
    assert before_fold == after_fold
    heating = next(row for row in after_fold["by_category"] if row["key"] == "heating")
    assert heating["count"] == 1
    assert abs(heating["accept_p50_seconds"] - 42 * 60) <= 0.01 * 42 * 60
    assert sum(row["count"] for row in after_fold["by_month"]) == 2

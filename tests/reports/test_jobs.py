"""The in-service jobs with an injected clock (never slept): SLA overdue flags with stored breach
timestamps, supervision and `reports.report.overdue.v1`; pauses stop the resolve clock; resolved
reports close themselves after 48 hours of silence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from reports.service_layer.jobs import ReportJobs
from tests.reports.helpers import Community, EventTap, Person, Service, call, utc


def z(moment: datetime) -> str:
    """How the API writes a UTC time."""
    return moment.isoformat().replace("+00:00", "Z")


def jobs(service: Service) -> ReportJobs:
    found: ReportJobs = service.app.state.report_jobs
    return found


async def get(service: Service, person: Person, rid: str) -> dict[str, Any]:
    response = await call(service, person, "GET", f"/api/v1/reports/{rid}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def act(
    service: Service, person: Person, rid: str, action: str, at: datetime, body: Any = None
) -> None:
    service.set_clock(at)
    response = await call(service, person, "POST", f"/api/v1/reports/{rid}/{action}", json=body)
    assert response.status_code == 200, response.text


async def test_accept_sla_breach_is_flagged_once_and_supervised(
    service: Service, community: Community
) -> None:
    t0 = utc(2030, 1, 6, 8)  # far from other tests' reports, which are all older
    service.set_clock(t0)
    reporter = community.resident()
    committee = community.person("committee")
    rid = (await community.submit(reporter))["id"]  # stairwell lighting: 4 h to accept
    breaches = {"service": "reports", "kind": "accept", "department": "property"}
    before = REGISTRY.get_sample_value("weilinli_sla_breaches_total", breaches) or 0.0
    async with EventTap(service, "reports.report.overdue.v1") as tap:
        await jobs(service).run_once(t0 + timedelta(hours=3, minutes=59))
        assert (await get(service, reporter, rid))["accept_breached_at"] is None
        breach_at = t0 + timedelta(hours=4, seconds=1)
        await jobs(service).run_once(breach_at)
        await jobs(service).run_once(breach_at + timedelta(hours=1))  # stored, not recomputed
        await tap.collect(lambda events: bool(tap.of(rid)), timeout=5)
        await tap.collect(lambda events: len(tap.of(rid)) > 1, timeout=1)
    report = await get(service, committee, rid)
    assert report["accept_breached_at"] == z(breach_at)
    assert report["overdue"] is True
    assert (report["supervision_reason"], report["supervised_at"]) == ("overdue", z(breach_at))
    events = tap.of(rid)
    assert len(events) == 1
    assert events[0]["payload"]["kind"] == "accept"
    assert events[0]["payload"]["due_at"] == z(t0 + timedelta(hours=4))
    scraped = (await service.client.get("/metrics")).text
    line = 'weilinli_sla_breaches_total{department="property",kind="accept",service="reports"}'
    assert f"{line} {before + 1}" in scraped  # counted once, as flagged
    supervision = await call(
        service, committee, "GET", "/api/v1/reports", params={"scope": "queue", "supervised": "true"}
    )
    assert [r["id"] for r in supervision.json()["items"]] == [rid]


async def test_paused_time_does_not_count_toward_the_resolve_sla(
    service: Service, community: Community
) -> None:
    t0 = utc(2030, 2, 3, 8)
    service.set_clock(t0)
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    rid = (await community.submit(reporter))["id"]  # 48 h to resolve: due t0 + 48 h
    await act(service, manager, rid, "accept", t0 + timedelta(minutes=30))
    await act(service, manager, rid, "assign", t0 + timedelta(minutes=40), {"staff_id": str(worker.id)})
    await act(service, worker, rid, "start", t0 + timedelta(hours=1))
    await act(service, worker, rid, "pause", t0 + timedelta(hours=2), {"reason": "parts on order"})
    await jobs(service).run_once(t0 + timedelta(hours=60))  # past the original due time, but paused
    assert (await get(service, worker, rid))["resolve_breached_at"] is None
    await act(service, worker, rid, "resume", t0 + timedelta(hours=62))  # 60 h paused
    report = await get(service, worker, rid)
    assert report["due_resolve_at"] == z(t0 + timedelta(hours=108))
    await jobs(service).run_once(t0 + timedelta(hours=107))
    assert (await get(service, worker, rid))["resolve_breached_at"] is None
    await jobs(service).run_once(t0 + timedelta(hours=109))
    report = await get(service, worker, rid)
    assert report["resolve_breached_at"] == z(t0 + timedelta(hours=109))
    assert report["accept_breached_at"] is None
    assert [t["action"] for t in report["timeline"]][-1] == "overdue_resolve"


async def test_late_acceptance_stores_the_breach_even_before_the_job_runs(
    service: Service, community: Community
) -> None:
    t0 = utc(2030, 3, 3, 8)
    service.set_clock(t0)
    reporter = community.resident()
    manager = await community.staff("property_manager")
    rid = (await community.submit(reporter))["id"]
    await act(service, manager, rid, "accept", t0 + timedelta(hours=5))
    assert (await get(service, manager, rid))["accept_breached_at"] == z(t0 + timedelta(hours=5))


async def test_resolved_closes_after_48_hours_of_silence(service: Service, community: Community) -> None:
    t0 = utc(2030, 4, 7, 8)
    service.set_clock(t0)
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    rid = (await community.submit(reporter, category="noise"))["id"]
    police_manager = await community.staff("property_manager", "police")
    police = await community.staff(department="police")
    del manager, worker
    await act(service, police_manager, rid, "accept", t0)
    await act(service, police_manager, rid, "assign", t0, {"staff_id": str(police.id)})
    await act(service, police, rid, "start", t0)
    resolved_at = t0 + timedelta(hours=1)
    await act(service, police, rid, "resolve", resolved_at, {"note": "talked to the neighbours"})
    async with EventTap(service, "reports.report.status_changed.v1") as tap:
        await jobs(service).run_once(resolved_at + timedelta(hours=47, minutes=59))
        assert (await get(service, reporter, rid))["status"] == "resolved"
        await jobs(service).run_once(resolved_at + timedelta(hours=48))
        await tap.collect(lambda events: bool(tap.of(rid)))
    report = await get(service, reporter, rid)
    assert report["status"] == "closed"
    assert report["timeline"][-1]["action"] == "auto_close"
    assert report["timeline"][-1]["actor_id"] is None
    assert tap.of(rid)[0]["payload"]["to_status"] == "closed"

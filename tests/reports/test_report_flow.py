"""A report's life through the HTTP API: submission with duplicates and "me too", the whole
state machine with its timeline and events, SLA pauses, photo and reopen rules, urge, rating,
cancel, reject-as-duplicate, grab and the per-staff cap, the staff projection, and stats."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from contracts import Envelope, UserRegisteredV1
from reports.consumers import handlers
from tests.reports.helpers import Community, EventTap, Person, Service, call, image_bytes, utc


async def post(service: Service, person: Person, path: str, json: Any = None) -> Any:
    return await call(service, person, "POST", path, json=json)


async def upload(service: Service, person: Person, report_id: str, kind: str = "after") -> Any:
    return await call(
        service,
        person,
        "POST",
        f"/api/v1/reports/{report_id}/photos",
        files={"file": ("fix.jpg", image_bytes(), "image/jpeg")},
        data={"kind": kind},
    )


async def test_categories_are_seeded_with_three_languages(service: Service, community: Community) -> None:
    resident = community.resident()
    response = await call(service, resident, "GET", "/api/v1/reports/categories")
    assert response.status_code == 200
    by_code = {c["code"]: c for c in response.json()}
    assert {"stairwell_lighting", "heating", "water_drains", "lifts", "noise", "unlicensed_vendors"} <= set(
        by_code
    )
    assert by_code["heating"]["department"] == "heating"
    assert by_code["unlicensed_vendors"]["department"] == "urban_management"
    assert set(by_code["lifts"]["names"]) == {"zh-CN", "en", "ko"}


async def test_managers_edit_categories_residents_cannot(service: Service, community: Community) -> None:
    manager = await community.staff("property_manager")
    resident = community.resident()
    path = "/api/v1/reports/categories/noise"
    assert (await call(service, resident, "PATCH", path, json={"sla_accept_hours": 2})).status_code == 403
    response = await call(
        service, manager, "PATCH", path, json={"sla_accept_hours": 2, "photo_required": True}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["sla_accept_hours"], response.json()["photo_required"]) == (2, True)
    assert (await call(service, manager, "PATCH", path, json={"code": "x"})).status_code == 422


async def test_full_life_with_timeline_and_events(service: Service, community: Community) -> None:
    async with EventTap(service) as tap:
        await life(service, community, tap)


async def life(service: Service, community: Community, tap: EventTap) -> None:
    start = utc(2026, 11, 2, 8, 0)
    service.set_clock(start)
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    report = await community.submit(reporter)
    rid = report["id"]
    assert report["status"] == "submitted"
    assert report["due_accept_at"].startswith("2026-11-02T12:00")  # stairwell lighting: 4 h to accept
    assert report["due_resolve_at"].startswith("2026-11-04T08:00")  # and 48 h to resolve

    steps = [
        (manager, "accept", None, "accepted"),
        (manager, "assign", {"staff_id": str(worker.id)}, "assigned"),
        (worker, "start", None, "in_progress"),
        (worker, "pause", {"reason": "waiting for a spare part"}, "paused"),
    ]
    for person, action, body, expected in steps:
        response = await post(service, person, f"/api/v1/reports/{rid}/{action}", body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == expected

    service.set_clock(start + timedelta(hours=5))  # paused for 5 hours: the resolve clock stops
    resumed = await post(service, worker, f"/api/v1/reports/{rid}/resume")
    assert resumed.json()["status"] == "in_progress"
    assert resumed.json()["due_resolve_at"].startswith("2026-11-04T13:00")
    assert resumed.json()["paused_seconds"] == 5 * 3600

    refused = await post(service, worker, f"/api/v1/reports/{rid}/resolve", {"note": "new bulb"})
    assert (refused.status_code, refused.json()["code"]) == (409, "after_photo_required")
    assert (await upload(service, worker, rid)).status_code == 201
    resolved = await post(service, worker, f"/api/v1/reports/{rid}/resolve", {"note": "new bulb"})
    assert resolved.json()["status"] == "resolved"
    confirmed = await post(service, reporter, f"/api/v1/reports/{rid}/confirm")
    assert confirmed.json()["status"] == "closed"
    rated = await post(
        service, reporter, f"/api/v1/reports/{rid}/rate", {"overall": 5, "speed": 4, "attitude": 5}
    )
    assert rated.json()["rating"]["overall"] == 5
    again = await post(
        service, reporter, f"/api/v1/reports/{rid}/rate", {"overall": 1, "speed": 1, "attitude": 1}
    )
    assert (again.status_code, again.json()["code"]) == (409, "report_already_rated")

    detail = (await call(service, reporter, "GET", f"/api/v1/reports/{rid}")).json()
    transitions = [(t["action"], t["to_status"]) for t in detail["timeline"] if t["action"] != "rate"]
    assert transitions == [
        ("submit", "submitted"),
        ("accept", "accepted"),
        ("assign", "assigned"),
        ("start", "in_progress"),
        ("pause", "paused"),
        ("resume", "in_progress"),
        ("resolve", "resolved"),
        ("confirm", "closed"),
    ]
    pause_row = detail["timeline"][4]
    assert (pause_row["actor_id"], pause_row["note"]) == (str(worker.id), "waiting for a spare part")
    await tap.collect(lambda events: len(tap.of(rid)) >= 9)
    published = tap.of(rid)
    types = [e["event_type"] for e in published]
    assert types.count("reports.report.status_changed.v1") == 7
    assert types[0] == "reports.report.submitted.v1"
    assert types[-1] == "reports.report.rated.v1"
    last_change = [e for e in published if e["event_type"].endswith("status_changed.v1")][-1]
    assert (last_change["payload"]["from_status"], last_change["payload"]["to_status"]) == (
        "resolved",
        "closed",
    )
    assert last_change["payload"]["assignee_id"] == str(worker.id)


async def test_repeating_a_transition_is_a_no_op(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    rid = (await community.submit(reporter))["id"]
    for _ in range(2):
        assert (await post(service, manager, f"/api/v1/reports/{rid}/accept")).status_code == 200
    detail = (await call(service, manager, "GET", f"/api/v1/reports/{rid}")).json()
    assert [t["action"] for t in detail["timeline"]] == ["submit", "accept"]


async def test_illegal_transition_is_409_with_a_stable_code(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    rid = (await community.submit(reporter))["id"]
    response = await post(service, manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(uuid.uuid4())})
    assert (response.status_code, response.json()["code"]) == (409, "report_illegal_transition")


async def test_cancel_only_before_assignment(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    first = (await community.submit(reporter))["id"]
    assert (await post(service, reporter, f"/api/v1/reports/{first}/cancel")).json()["status"] == "cancelled"
    second = (await community.submit(reporter))["id"]
    await post(service, manager, f"/api/v1/reports/{second}/accept")
    await post(service, manager, f"/api/v1/reports/{second}/assign", {"staff_id": str(worker.id)})
    refused = await post(service, reporter, f"/api/v1/reports/{second}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "report_illegal_transition")


async def test_duplicates_support_and_reject_as_duplicate(service: Service, community: Community) -> None:
    first_reporter, neighbour = community.resident("7"), community.resident("7")
    manager = await community.staff("property_manager")
    original = (await community.submit(first_reporter))["id"]
    second = await community.submit(neighbour)
    assert [d["id"] for d in second["possible_duplicates"]] == [original]
    supported = await post(service, neighbour, f"/api/v1/reports/{original}/support")
    assert supported.json()["support_count"] == 1
    assert (await post(service, neighbour, f"/api/v1/reports/{original}/support")).json()[
        "support_count"
    ] == 1
    own = await post(service, first_reporter, f"/api/v1/reports/{original}/support")
    assert own.status_code == 403
    missing = await post(service, manager, f"/api/v1/reports/{second['id']}/reject", {"reason": "duplicate"})
    assert (missing.status_code, missing.json()["code"]) == (422, "duplicate_of_required")
    rejected = await post(
        service,
        manager,
        f"/api/v1/reports/{second['id']}/reject",
        {"reason": "duplicate", "duplicate_of": original},
    )
    assert (rejected.json()["status"], rejected.json()["duplicate_of"]) == ("rejected", original)
    # The supporter follows the original: later status events name them.
    async with EventTap(service) as tap:
        await post(service, manager, f"/api/v1/reports/{original}/accept")
        await tap.collect(lambda events: bool(tap.of(original)))
    assert tap.of(original)[0]["payload"]["supporter_ids"] == [str(neighbour.id)]


async def test_reopen_within_14_days_only(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    rid = (await community.submit(reporter, category="heating"))["id"]  # heating needs no photo
    heating_manager = await community.staff("property_manager", "heating")
    heating_worker = await community.staff(department="heating")
    del manager, worker
    start = utc(2026, 12, 1, 9)
    service.set_clock(start)
    await post(service, heating_manager, f"/api/v1/reports/{rid}/accept")
    await post(
        service, heating_manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(heating_worker.id)}
    )
    await post(service, heating_worker, f"/api/v1/reports/{rid}/start")
    await post(service, heating_worker, f"/api/v1/reports/{rid}/resolve", {"note": "bled the radiator"})
    await post(service, reporter, f"/api/v1/reports/{rid}/confirm")
    service.set_clock(start + timedelta(days=13))
    reopened = await post(service, reporter, f"/api/v1/reports/{rid}/reopen", {"reason": "cold again"})
    assert (reopened.json()["status"], reopened.json()["reopen_count"]) == ("reopened", 1)
    assert reopened.json()["assignee_id"] is None
    await post(
        service, heating_manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(heating_worker.id)}
    )
    await post(service, heating_worker, f"/api/v1/reports/{rid}/start")
    await post(service, heating_worker, f"/api/v1/reports/{rid}/resolve", {"note": "replaced valve"})
    await post(service, reporter, f"/api/v1/reports/{rid}/confirm")
    service.set_clock(start + timedelta(days=13 + 15))
    late = await post(service, reporter, f"/api/v1/reports/{rid}/reopen", {"reason": "cold again"})
    assert (late.status_code, late.json()["code"]) == (409, "reopen_window_passed")
    no_reason = await post(service, reporter, f"/api/v1/reports/{rid}/reopen", {})
    assert no_reason.status_code == 422


async def test_urge_at_most_once_an_hour(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    report = await community.submit(reporter)
    rid = report["id"]
    start = utc(2026, 11, 5, 10)
    service.set_clock(start)
    for action, body in (("accept", None), ("assign", {"staff_id": str(worker.id)})):
        assert (await post(service, manager, f"/api/v1/reports/{rid}/{action}", body)).status_code == 200
    async with EventTap(service, "reports.report.urged.v1") as tap:
        assert (await post(service, reporter, f"/api/v1/reports/{rid}/urge")).status_code == 200
        await tap.collect(lambda events: len(tap.of(rid)) >= 1)
        service.set_clock(start + timedelta(minutes=59))
        too_soon = await post(service, reporter, f"/api/v1/reports/{rid}/urge")
        assert (too_soon.status_code, too_soon.json()["code"]) == (429, "urge_too_soon")
        assert int(too_soon.headers["Retry-After"]) > 0
        # The next accepted urge is the sentinel: the relay publishes in commit order, so an event
        # from the refused urge would have arrived before this one.
        service.set_clock(start + timedelta(minutes=61))
        assert (await post(service, reporter, f"/api/v1/reports/{rid}/urge")).status_code == 200
        await tap.collect(lambda events: len(tap.of(rid)) >= 2)
        await tap.collect(lambda events: len(tap.of(rid)) > 2, timeout=1)
    first, second = tap.of(rid)
    assert first["event_type"] == "reports.report.urged.v1"
    assert (first["producer"], first["actor_id"]) == ("reports", str(reporter.id))
    assert first["payload"] == {
        "community_id": str(community.id),
        "report_id": rid,
        "reporter_id": str(reporter.id),
        "category": "stairwell_lighting",
        "department": "property",
        "building": "3",
        "source_thread_id": None,
        "status": "assigned",
        "assignee_id": str(worker.id),
        "urged_by": str(reporter.id),
    }
    assert second["payload"]["urged_by"] == str(reporter.id)
    timeline = (await call(service, reporter, "GET", f"/api/v1/reports/{rid}")).json()["timeline"]
    assert [t["action"] for t in timeline].count("urge") == 2


async def test_grab_and_the_per_staff_cap(service: Service, community: Community) -> None:
    cap = service.settings.max_open_jobs_per_staff
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    ids = [(await community.submit(reporter, category="sanitation"))["id"] for _ in range(cap + 1)]
    for rid in ids:
        await post(service, manager, f"/api/v1/reports/{rid}/accept")
    for rid in ids[:cap]:
        grabbed = await post(service, worker, f"/api/v1/reports/{rid}/grab")
        assert (grabbed.json()["status"], grabbed.json()["assignee_id"]) == ("assigned", str(worker.id))
    over = await post(service, worker, f"/api/v1/reports/{ids[cap]}/grab")
    assert (over.status_code, over.json()["code"]) == (409, "staff_at_capacity")
    other = await community.staff()
    taken = await post(service, other, f"/api/v1/reports/{ids[0]}/grab")
    assert (taken.status_code, taken.json()["code"]) == (409, "report_already_assigned")
    heating = (await community.submit(reporter, category="water_drains"))["id"]
    await post(service, manager, f"/api/v1/reports/{heating}/accept")
    not_grab = await post(service, other, f"/api/v1/reports/{heating}/grab")
    assert (not_grab.status_code, not_grab.json()["code"]) == (409, "category_not_grabbable")


async def test_transfer_to_other_staff_of_the_department(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    first, second = await community.staff(), await community.staff()
    police = await community.staff(department="police")
    rid = (await community.submit(reporter))["id"]
    await post(service, manager, f"/api/v1/reports/{rid}/accept")
    await post(service, manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(first.id)})
    await post(service, first, f"/api/v1/reports/{rid}/start")
    wrong = await post(service, first, f"/api/v1/reports/{rid}/transfer", {"staff_id": str(police.id)})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "staff_not_in_department")
    moved = await post(service, first, f"/api/v1/reports/{rid}/transfer", {"staff_id": str(second.id)})
    assert (moved.json()["status"], moved.json()["assignee_id"]) == ("assigned", str(second.id))


async def test_anonymous_hides_the_reporter_from_residents_not_staff(
    service: Service, community: Community
) -> None:
    reporter, neighbour = community.resident("5"), community.resident("5")
    staff = await community.staff()
    rid = (await community.submit(reporter, anonymous=True, public_area=True))["id"]
    seen_by_neighbour = (await call(service, neighbour, "GET", f"/api/v1/reports/{rid}")).json()
    assert seen_by_neighbour["reporter_id"] is None
    assert all(t["actor_id"] != str(reporter.id) for t in seen_by_neighbour["timeline"])
    assert (await call(service, staff, "GET", f"/api/v1/reports/{rid}")).json()["reporter_id"] == str(
        reporter.id
    )
    assert (await call(service, reporter, "GET", f"/api/v1/reports/{rid}")).json()["reporter_id"] == str(
        reporter.id
    )


async def test_lists_by_scope(service: Service, community: Community) -> None:
    reporter, neighbour = community.resident("9"), community.resident("9")
    staff = await community.staff()
    public = (await community.submit(reporter, public_area=True))["id"]
    private = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
    mine = await call(service, reporter, "GET", "/api/v1/reports", params={"scope": "mine", "limit": 1})
    assert len(mine.json()["items"]) == 1
    assert mine.json()["next_cursor"]
    rest = await call(
        service,
        reporter,
        "GET",
        "/api/v1/reports",
        params={"scope": "mine", "cursor": mine.json()["next_cursor"]},
    )
    assert {mine.json()["items"][0]["id"], rest.json()["items"][0]["id"]} == {public, private}
    building = await call(service, neighbour, "GET", "/api/v1/reports", params={"scope": "building"})
    assert [r["id"] for r in building.json()["items"]] == [public]
    queue = await call(
        service, staff, "GET", "/api/v1/reports", params={"scope": "queue", "status": "submitted"}
    )
    assert {r["id"] for r in queue.json()["items"]} == {public, private}
    assert (
        await call(service, neighbour, "GET", "/api/v1/reports", params={"scope": "queue"})
    ).status_code == 403


async def test_stats_per_category_staff_and_month(service: Service, community: Community) -> None:
    reporter = community.resident()
    manager = await community.staff("property_manager")
    worker = await community.staff()
    committee = community.person("committee")
    start = utc(2026, 10, 10, 8)
    service.set_clock(start)
    rid = (await community.submit(reporter, category="heating"))["id"]
    heating_manager = await community.staff("property_manager", "heating")
    heating_worker = await community.staff(department="heating")
    service.set_clock(start + timedelta(hours=1))
    await post(service, heating_manager, f"/api/v1/reports/{rid}/accept")
    await post(
        service, heating_manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(heating_worker.id)}
    )
    await post(service, heating_worker, f"/api/v1/reports/{rid}/start")
    service.set_clock(start + timedelta(hours=30))  # past the 24 h resolve SLA
    await post(service, heating_worker, f"/api/v1/reports/{rid}/resolve", {"note": "done"})
    await post(service, reporter, f"/api/v1/reports/{rid}/confirm")
    await post(service, reporter, f"/api/v1/reports/{rid}/rate", {"overall": 4, "speed": 2, "attitude": 5})
    await community.submit(reporter)  # still open
    del manager, worker
    service.set_clock(start + timedelta(hours=31))
    response = await call(
        service, committee, "GET", "/api/v1/reports/stats", params={"since": "2026-10-01T00:00:00Z"}
    )
    assert response.status_code == 200, response.text
    stats = response.json()
    heating = next(row for row in stats["by_category"] if row["key"] == "heating")
    assert heating["count"] == 1
    assert heating["resolved"] == 1
    assert heating["accept_p50_seconds"] == 3600
    assert heating["resolve_p90_seconds"] == 30 * 3600
    assert heating["sla_breach_rate"] == 1.0
    assert heating["satisfaction_avg"] == 4.0
    assert heating["reopen_rate"] == 0.0
    assert [row["key"] for row in stats["by_month"]] == ["2026-10"]
    assert sum(row["count"] for row in stats["by_staff"]) == 2
    assert (await call(service, reporter, "GET", "/api/v1/reports/stats")).status_code == 403


async def test_staff_projection_follows_grant_and_revoke_events(
    service: Service, community: Community
) -> None:
    from contracts import Envelope, RoleRevokedV1
    from reports.consumers import role_revoked

    worker = await community.staff(department="police")
    rows = await service.sql("SELECT department FROM staff WHERE user_id = :u", u=str(worker.id))
    assert rows == [("police",)]
    envelope = Envelope.wrap(
        RoleRevokedV1(community_id=community.id, user_id=worker.id, role="property_staff"), producer="gateway"
    )
    async with service.runtime.uow() as uow:
        await role_revoked(envelope, envelope.parse_payload(), uow)
        await uow.commit()
    assert await service.sql("SELECT department FROM staff WHERE user_id = :u", u=str(worker.id)) == []


async def test_submission_is_idempotent_and_refuses_server_owned_fields(
    service: Service, community: Community
) -> None:
    reporter = community.resident()
    body = {"category": "lifts", "location": {"building": "3"}, "description": "lift stuck on 5F"}
    headers = {**reporter.headers, "Idempotency-Key": "submit-lift-1"}
    first = await service.client.post("/api/v1/reports", json=body, headers=headers)
    again = await service.client.post("/api/v1/reports", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    other = await service.client.post(
        "/api/v1/reports", json={**body, "description": "other"}, headers=headers
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    mine = await call(service, reporter, "GET", "/api/v1/reports", params={"scope": "mine"})
    assert len(mine.json()["items"]) == 1
    for owned in ({"status": "closed"}, {"assignee_id": str(reporter.id)}, {"reporter_id": str(reporter.id)}):
        refused = await service.client.post(
            "/api/v1/reports", json={**body, **owned}, headers=reporter.headers
        )
        assert refused.status_code == 422
    unknown = await service.client.post(
        "/api/v1/reports", json={**body, "category": "ufo"}, headers=reporter.headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "category_unknown")
    staff_only = await community.staff()
    assert (
        await service.client.post("/api/v1/reports", json=body, headers=staff_only.headers)
    ).status_code == 403


async def test_committee_puts_a_disputed_report_under_supervision(
    service: Service, community: Community
) -> None:
    reporter = community.resident()
    committee = community.person("committee")
    rid = (await community.submit(reporter))["id"]
    escalated = await post(
        service,
        committee,
        f"/api/v1/reports/{rid}/escalate",
        {"reason": "disputed", "note": "业主投诉未处理"},
    )
    assert escalated.status_code == 200
    assert escalated.json()["supervision_reason"] == "disputed"
    assert escalated.json()["timeline"][-1]["action"] == "supervise"
    listed = await call(
        service, committee, "GET", "/api/v1/reports", params={"scope": "queue", "supervised": "true"}
    )
    assert rid in {r["id"] for r in listed.json()["items"]}
    again = await post(service, committee, f"/api/v1/reports/{rid}/escalate", {"reason": "overdue"})
    assert again.json()["supervision_reason"] == "disputed"  # already supervised: unchanged


async def test_staff_of_another_community_is_refused(service: Service, community: Community) -> None:
    """`/assign` and `/transfer` name staff of the caller's community only: staff of the same
    department elsewhere, or an id nobody heard of, is `422 user_not_in_community`; a person of
    the community who is no staff of the department stays `staff_not_in_department`."""
    reporter = community.resident()
    manager = await community.staff("property_manager")
    first = await community.staff()
    foreign = await Community(service).staff()  # property staff too, of another community
    neighbour = community.resident()
    registered = Envelope.wrap(
        UserRegisteredV1(community_id=community.id, user_id=neighbour.id, channel="phone"), producer="gateway"
    )
    async with service.runtime.uow() as uow:
        await handlers[UserRegisteredV1.event_type](registered, registered.parse_payload(), uow)
        await uow.commit()
    rid = (await community.submit(reporter))["id"]
    await post(service, manager, f"/api/v1/reports/{rid}/accept")
    for stranger in (foreign.id, uuid.uuid4()):
        refused = await post(service, manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(stranger)})
        assert (refused.status_code, refused.json()["code"]) == (422, "user_not_in_community")
    not_staff = await post(service, manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(neighbour.id)})
    assert (not_staff.status_code, not_staff.json()["code"]) == (422, "staff_not_in_department")
    await post(service, manager, f"/api/v1/reports/{rid}/assign", {"staff_id": str(first.id)})
    await post(service, first, f"/api/v1/reports/{rid}/start")
    moved = await post(service, first, f"/api/v1/reports/{rid}/transfer", {"staff_id": str(foreign.id)})
    assert (moved.status_code, moved.json()["code"]) == (422, "user_not_in_community")
    detail = await call(service, manager, "GET", f"/api/v1/reports/{rid}")
    assert detail.json()["assignee_id"] == str(first.id)

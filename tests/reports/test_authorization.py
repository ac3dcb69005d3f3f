"""The authorization matrix over every endpoint that takes a report id, for the eight kinds of
caller. The report is a public-area report in building 3, in progress with `assigned staff`.

"ok" means authorization let the caller through (the state machine may still answer 409 or the
body 422: that is not an authorization outcome); 403 = sees it but may not; 404 = may not even
know it exists (BOLA); 401 = no token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reports.helpers import Community, Person, Service, call, image_bytes

ROLES = (
    "reporter",
    "same_building",
    "other_building",
    "assigned_staff",
    "other_staff",
    "manager",
    "committee",
    "anonymous",
)
OK, DENY, HIDDEN, UNAUTH = "ok", 403, 404, 401


def row(
    reporter: Any, same: Any, staff: Any, other_staff: Any, manager: Any, committee: Any
) -> dict[str, Any]:
    """Expected outcome per role; another building's resident never sees it, anonymous is 401."""
    return {
        "reporter": reporter,
        "same_building": same,
        "other_building": HIDDEN,
        "assigned_staff": staff,
        "other_staff": other_staff,
        "manager": manager,
        "committee": committee,
        "anonymous": UNAUTH,
    }


MANAGER_ONLY = row(DENY, DENY, DENY, DENY, OK, DENY)
ASSIGNEE_ONLY = row(DENY, DENY, OK, DENY, DENY, DENY)
REPORTER_ONLY = row(OK, DENY, DENY, DENY, DENY, DENY)
MATRIX: dict[str, tuple[str, str, dict[str, Any]]] = {
    "get": ("GET", "", row(OK, OK, OK, OK, OK, OK)),
    "photos": ("POST", "/photos", row(OK, DENY, OK, DENY, OK, DENY)),
    "photo_file": ("GET", "/photos/{photo}", row(OK, OK, OK, OK, OK, OK)),
    "support": ("POST", "/support", row(DENY, OK, DENY, DENY, DENY, DENY)),
    "accept": ("POST", "/accept", MANAGER_ONLY),
    "assign": ("POST", "/assign", MANAGER_ONLY),
    "grab": ("POST", "/grab", row(DENY, DENY, OK, OK, DENY, DENY)),
    "start": ("POST", "/start", ASSIGNEE_ONLY),
    "pause": ("POST", "/pause", ASSIGNEE_ONLY),
    "resume": ("POST", "/resume", ASSIGNEE_ONLY),
    "transfer": ("POST", "/transfer", row(DENY, DENY, OK, DENY, OK, DENY)),
    "resolve": ("POST", "/resolve", ASSIGNEE_ONLY),
    "reject": ("POST", "/reject", MANAGER_ONLY),
    "confirm": ("POST", "/confirm", REPORTER_ONLY),
    "reopen": ("POST", "/reopen", REPORTER_ONLY),
    "rate": ("POST", "/rate", REPORTER_ONLY),
    "urge": ("POST", "/urge", REPORTER_ONLY),
    "cancel": ("POST", "/cancel", REPORTER_ONLY),
    "escalate": ("POST", "/escalate", row(DENY, DENY, DENY, DENY, DENY, OK)),
}


async def cast_of(community: Community) -> dict[str, Person | None]:
    return {
        "reporter": community.resident("3"),
        "same_building": community.resident("3"),
        "other_building": community.resident("12"),
        "assigned_staff": await community.staff(),
        "other_staff": await community.staff(),
        "manager": await community.staff("property_manager"),
        "committee": community.person("committee"),
        "anonymous": None,
        # Not a caller: the one transfers go to, so the matrix row does not change who is assigned.
        "spare_staff": await community.staff(),
    }


def request_kwargs(endpoint: str, people: dict[str, Person | None], role: str) -> dict[str, Any]:
    other = people["spare_staff"]
    assert other is not None
    bodies: dict[str, Any] = {
        "assign": {"staff_id": str(other.id)},
        "transfer": {"staff_id": str(other.id)},
        "pause": {"reason": "waiting for parts"},
        "resolve": {"note": "fixed"},
        "reject": {"reason": "invalid"},
        "reopen": {"reason": "broken again"},
        "rate": {"overall": 5, "speed": 5, "attitude": 5},
    }
    if endpoint == "photos":
        kind = "before" if role in ("reporter", "same_building", "other_building", "anonymous") else "after"
        return {"files": {"file": ("p.jpg", image_bytes(), "image/jpeg")}, "data": {"kind": kind}}
    if endpoint in bodies:
        return {"json": bodies[endpoint]}
    return {}


@pytest.mark.parametrize("endpoint", list(MATRIX))
async def test_authorization_matrix(service: Service, community: Community, endpoint: str) -> None:
    people = await cast_of(community)
    reporter, manager, staff = people["reporter"], people["manager"], people["assigned_staff"]
    assert reporter is not None
    assert manager is not None
    assert staff is not None
    rid = (await community.submit(reporter, public_area=True))["id"]
    for action, body in (("accept", None), ("assign", {"staff_id": str(staff.id)}), ("start", None)):
        response = await call(
            service,
            manager if action != "start" else staff,
            "POST",
            f"/api/v1/reports/{rid}/{action}",
            json=body,
        )
        assert response.status_code == 200, response.text
    photo = await call(
        service,
        reporter,
        "POST",
        f"/api/v1/reports/{rid}/photos",
        files={"file": ("p.jpg", image_bytes(), "image/jpeg")},
    )
    photo_id = photo.json()["photos"][0]["id"]

    method, suffix, expected = MATRIX[endpoint]
    path = f"/api/v1/reports/{rid}" + suffix.replace("{photo}", photo_id)
    outcomes: dict[str, Any] = {}
    for role in ROLES:
        response = await call(service, people[role], method, path, **request_kwargs(endpoint, people, role))
        assert response.status_code < 500, response.text
        outcomes[role] = response.status_code if response.status_code in (401, 403, 404) else OK
    assert outcomes == expected


async def test_in_home_reports_are_hidden_from_the_building(service: Service, community: Community) -> None:
    reporter, neighbour = community.resident("3"), community.resident("3")
    rid = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
    assert (await call(service, neighbour, "GET", f"/api/v1/reports/{rid}")).status_code == 404
    assert (await call(service, neighbour, "POST", f"/api/v1/reports/{rid}/support")).status_code == 404


async def test_another_community_sees_nothing(service: Service, community: Community) -> None:
    reporter = community.resident("3")
    rid = (await community.submit(reporter, public_area=True))["id"]
    elsewhere = Community(service)
    for person in (
        elsewhere.resident("3"),
        await elsewhere.staff("property_manager"),
        elsewhere.person("committee"),
    ):
        assert (await call(service, person, "GET", f"/api/v1/reports/{rid}")).status_code == 404
        assert (await call(service, person, "POST", f"/api/v1/reports/{rid}/accept")).status_code == 404

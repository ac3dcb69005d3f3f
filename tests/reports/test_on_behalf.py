"""代客报修: property staff file a report for a resident who phoned or walked in. The resident is the
reporter (sees it under "mine"), the report says `source: "office"`, and the first timeline row names
the staff member who filed it. Residents cannot file for others; nor can staff for a stranger."""

from __future__ import annotations

import uuid

from contracts import Envelope, UserRegisteredV1
from reports.consumers import handlers
from tests.reports.helpers import Community, Person, Service, call

BODY = {
    "category": "stairwell_lighting",
    "location": {"building": "3", "unit": "2", "area": "stairwell 4F"},
    "description": "王阿姨来电：楼道灯坏了",
}


async def _known(service: Service, community: Community, person: Person) -> None:
    event = UserRegisteredV1(community_id=community.id, user_id=person.id, channel="phone")
    async with service.runtime.uow() as uow:
        await handlers[UserRegisteredV1.event_type](Envelope.wrap(event, producer="gateway"), event, uow)
        await uow.commit()


async def test_staff_file_for_a_resident_recorded_as_such(service: Service, community: Community) -> None:
    staff = await community.staff()
    resident = community.resident()
    await _known(service, community, resident)

    filed = await call(
        service, staff, "POST", "/api/v1/reports", json={**BODY, "on_behalf_of": str(resident.id)}
    )
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert (report["reporter_id"], report["source"]) == (str(resident.id), "office")

    detail = (await call(service, staff, "GET", f"/api/v1/reports/{report['id']}")).json()
    first = detail["timeline"][0]
    assert (first["action"], first["actor_id"]) == ("submit_on_behalf", str(staff.id))
    mine = (await call(service, resident, "GET", "/api/v1/reports?scope=mine")).json()["items"]
    assert [item["id"] for item in mine] == [report["id"]]

    # A resident's own report stays "app", with the resident as the timeline's actor.
    own = await call(service, resident, "POST", "/api/v1/reports", json=BODY)
    assert own.json()["source"] == "app"


async def test_only_staff_file_for_others_only_for_members(service: Service, community: Community) -> None:
    staff = await community.staff()
    resident = community.resident()
    neighbour = community.resident()
    await _known(service, community, neighbour)

    by_resident = await call(
        service, resident, "POST", "/api/v1/reports", json={**BODY, "on_behalf_of": str(neighbour.id)}
    )
    assert (by_resident.status_code, by_resident.json()["code"]) == (403, "forbidden")
    stranger = await call(
        service, staff, "POST", "/api/v1/reports", json={**BODY, "on_behalf_of": str(uuid.uuid4())}
    )
    assert (stranger.status_code, stranger.json()["code"]) == (422, "user_not_in_community")
    # Staff without the resident role still cannot file as themselves.
    plain = await call(service, staff, "POST", "/api/v1/reports", json=BODY)
    assert (plain.status_code, plain.json()["code"]) == (403, "forbidden")

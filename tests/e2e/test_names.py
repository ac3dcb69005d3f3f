"""People, not UUIDs (issue 11, item 1), through the gateway in front of the four real services:
every view of every role names people as `{id, display_name}` beside their ids, an anonymous
report stays anonymous to other residents, a change of name reaches the other services' views,
staff and residents search people differently, managers see their staff with open jobs, and
`@名字` in a post names the member (or asks which one, or says nobody is called so)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert

from forum.adapters.tables import people as forum_people
from gateway.adapters.tables import communities, role_grants
from servicekit.stack import Stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.errand.helpers import drop_redis_keys, offset, quote_body

PASSWORD = "s3cret-pass"


@dataclass
class Member:
    id: uuid.UUID
    name: str
    phone: str
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    stack: Stack
    gw: httpx.AsyncClient
    code: str
    community_id: uuid.UUID
    cast: dict[str, Member]

    def __getitem__(self, key: str) -> Member:
        return self.cast[key]


async def eventually(check: Callable[[], Awaitable[bool]], what: str, attempts: int = 300) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def _login(gw: httpx.AsyncClient, member: Member) -> None:
    tokens = await gw.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    member.token = tokens.json()["access_token"]


CAST = {
    # key: (display name, role granted by the admin, department)
    "admin": ("管理员", None, None),
    "lv": ("吕女士", None, None),
    "chen": ("陈邻居", None, None),
    "liu_a": ("刘洋", None, None),
    "liu_b": ("刘洋", None, None),
    "tom": ("Tom Lee", None, None),
    "zhang": ("张师傅", "courier", None),
    "wang": ("王工", "property_staff", "property"),
    "li": ("李经理", "property_manager", "property"),
    "zhao": ("赵委员", "committee", None),
    "sun": ("孙调解", "mediator", None),
}


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    overrides: dict[str, dict[str, object]] = {
        "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False},
        "gateway": {"rate_limit_enabled": False},
    }
    async with (
        stack_of(
            ["errand", "reports", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
        ) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as gw,
    ):
        try:
            yield await _build_world(stack, gw)
        finally:
            await drop_redis_keys(stack.settings["errand"].redis_url, f"wltest:{namespace}:errand")


async def _build_world(stack: Stack, gw: httpx.AsyncClient) -> World:
    community_id, code = uuid.uuid4(), f"n-{uuid.uuid4().hex[:10]}"
    runtime = stack.apps["gateway"].state.runtime
    async with runtime.uow() as uow:
        await uow.session.execute(insert(communities).values(id=community_id, code=code, name="名字社区"))
        await uow.commit()
    cast: dict[str, Member] = {}
    for key, (name, _, _) in CAST.items():
        member = Member(uuid.uuid4(), name, _phone())
        registered = await gw.post(
            "/api/v1/auth/register",
            json={"phone": member.phone, "password": PASSWORD, "display_name": name, "community_code": code},
        )
        assert registered.status_code == 201, registered.text
        member.id = uuid.UUID(registered.json()["id"])
        cast[key] = member
    # The first admin is seeded, as `dev.py run` does; every other role goes through the API.
    async with runtime.uow() as uow:
        await uow.session.execute(
            insert(role_grants).values(user_id=cast["admin"].id, community_id=community_id, role="admin")
        )
        await uow.commit()
    await _login(gw, cast["admin"])
    for key, (_, role, department) in CAST.items():
        if role is not None:
            granted = await gw.post(
                f"/api/v1/admin/users/{cast[key].id}/roles",
                json={"role": role, "department": department},
                headers=cast["admin"].headers,
            )
            assert granted.status_code == 200, granted.text
    # 吕女士 and 陈邻居 live in 3号楼 (verified households), so public reports there are theirs to see.
    building = await gw.post(
        "/api/v1/community/buildings", json={"name": "3号楼"}, headers=cast["admin"].headers
    )
    assert building.status_code == 201, building.text
    for key, room in (("lv", "501"), ("chen", "502")):
        await _login(gw, cast[key])
        household = await gw.post(
            "/api/v1/community/households",
            json={"building_id": building.json()["id"], "unit": "1", "room": room},
            headers=cast["admin"].headers,
        )
        assert household.status_code == 201, household.text
        claim = await gw.post(
            "/api/v1/me/household-claims",
            json={"household_id": household.json()["id"], "real_name": cast[key].name},
            headers=cast[key].headers,
        )
        assert claim.status_code == 201, claim.text
        decided = await gw.post(
            f"/api/v1/community/household-claims/{claim.json()['id']}/decision",
            json={"decision": "approve"},
            headers=cast["admin"].headers,
        )
        assert decided.status_code == 200, decided.text
    for member in cast.values():
        await _login(gw, member)  # tokens with the roles and households granted above
    world = World(stack, gw, code, community_id, cast)

    async def everyone_known() -> bool:
        staff = await gw.get("/api/v1/reports/staff", headers=cast["li"].headers)
        return staff.status_code == 200 and any(
            item["display_name"] == "王工" for item in staff.json()["items"]
        )

    await eventually(everyone_known, "the staff named in the reports service")

    async def households_known() -> bool:
        me = await gw.get("/api/v1/forum/me", headers=cast["lv"].headers)
        return me.status_code == 200 and me.json()["household_id"] is not None

    await eventually(households_known, "吕女士's household in the forum")
    return world


async def _order_accepted_by_zhang(world: World) -> dict[str, Any]:
    gw, lv, zhang = world.gw, world["lv"], world["zhang"]
    lat, lng = offset(0)
    online = await gw.put(
        "/api/v1/errand/courier/presence",
        json={"online": True, "lat": lat, "lng": lng},
        headers=zhang.headers,
    )
    assert online.status_code == 200, online.text
    quote = await gw.post("/api/v1/errand/quotes", json=quote_body("deliver"), headers=lv.headers)
    assert quote.status_code == 201, quote.text
    order = await gw.post(
        "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}, headers=lv.headers
    )
    assert order.status_code == 201, order.text
    assert order.json()["requester"] == {"id": str(lv.id), "display_name": "吕女士"}
    accepted = await gw.post(f"/api/v1/errand/orders/{order.json()['id']}/accept", headers=zhang.headers)
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = accepted.json()
    return body


async def test_an_order_names_its_requester_and_courier(world: World) -> None:
    gw, lv, zhang = world.gw, world["lv"], world["zhang"]

    async def courier_active() -> bool:
        me = await gw.get("/api/v1/errand/courier/points", headers=zhang.headers)
        return me.status_code == 200

    await eventually(courier_active, "the courier's profile in errand")
    order = await _order_accepted_by_zhang(world)
    url = f"/api/v1/errand/orders/{order['id']}"
    as_courier = (await gw.get(url, headers=zhang.headers)).json()
    assert as_courier["requester"] == {"id": str(lv.id), "display_name": "吕女士"}
    assert as_courier["courier"] == {"id": str(zhang.id), "display_name": "张师傅"}
    as_requester = (await gw.get(url, headers=lv.headers)).json()
    assert as_requester["courier_id"] == str(zhang.id)  # the ids stay, the names come beside them
    assert as_requester["courier"]["display_name"] == "张师傅"
    assert as_requester["courier"]["level"]["code"]  # the requester sees the courier's level
    actors = {row["action"]: row["actor"] for row in as_requester["timeline"]}
    assert actors["create"]["display_name"] == "吕女士"
    assert actors["accept"]["display_name"] == "张师傅"
    listed = (await gw.get("/api/v1/errand/orders?as=requester", headers=lv.headers)).json()["items"]
    assert {item["courier"]["display_name"] for item in listed if item["id"] == order["id"]} == {"张师傅"}


async def _anonymous_report(world: World) -> dict[str, Any]:
    gw = world.gw
    submitted = await gw.post(
        "/api/v1/reports",
        json={
            "category": "other",
            "location": {"building": "3号楼", "area": "楼道"},
            "description": "楼道灯坏了一个星期",
            "public_area": True,
            "anonymous": True,
        },
        headers={**world["lv"].headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status_code == 201, submitted.text
    report: dict[str, Any] = submitted.json()
    return report


async def test_a_report_names_reporter_and_assignee_but_keeps_anonymity(world: World) -> None:
    gw, lv, chen, wang, li = world.gw, world["lv"], world["chen"], world["wang"], world["li"]
    report = await _anonymous_report(world)
    assert report["reporter"] == {"id": str(lv.id), "display_name": "吕女士"}  # to themself
    url = f"/api/v1/reports/{report['id']}"
    assert (await gw.post(f"{url}/accept", headers=li.headers)).status_code == 200
    assigned = await gw.post(f"{url}/assign", json={"staff_id": str(wang.id)}, headers=li.headers)
    assert assigned.status_code == 200, assigned.text
    as_manager = (await gw.get(url, headers=li.headers)).json()
    assert as_manager["reporter"]["display_name"] == "吕女士"  # never hidden from staff
    assert as_manager["assignee"] == {"id": str(wang.id), "display_name": "王工"}
    assert [row["actor"]["display_name"] for row in as_manager["timeline"]] == ["吕女士", "李经理", "李经理"]
    as_neighbour = await gw.get(url, headers=chen.headers)
    assert as_neighbour.status_code == 200, as_neighbour.text
    seen = as_neighbour.json()
    assert seen["reporter_id"] is None
    assert seen["reporter"] is None
    assert seen["assignee"]["display_name"] == "王工"
    assert "吕女士" not in as_neighbour.text
    assert str(lv.id) not in as_neighbour.text
    queue = (await gw.get("/api/v1/reports?scope=queue", headers=wang.headers)).json()["items"]
    assert {item["reporter"]["display_name"] for item in queue if item["id"] == report["id"]} == {"吕女士"}

    staff = await gw.get("/api/v1/reports/staff?department=property", headers=li.headers)
    assert staff.status_code == 200, staff.text
    by_name = {item["display_name"]: item for item in staff.json()["items"]}
    assert by_name["王工"]["open_jobs"] >= 1
    assert by_name["王工"]["department"] == "property"
    assert by_name["王工"]["on_duty"] is True
    assert "李经理" in by_name
    assert (await gw.get("/api/v1/reports/staff", headers=chen.headers)).status_code == 403
    assert (await gw.get("/api/v1/reports/staff?department=heating", headers=li.headers)).status_code == 403
    committee = await gw.get("/api/v1/reports/staff", headers=world["zhao"].headers)
    assert committee.status_code == 200
    assert "王工" in committee.text


async def test_people_search_for_staff_and_for_residents(world: World) -> None:
    gw, li, chen = world.gw, world["li"], world["chen"]
    found = await gw.get("/api/v1/community/people", params={"q": "刘洋"}, headers=li.headers)
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert {item["id"] for item in items} == {str(world["liu_a"].id), str(world["liu_b"].id)}
    assert all(
        item["phone_masked"] and "****" in item["phone_masked"] and item["roles"] == ["resident"]
        for item in items
    )
    couriers = (await gw.get("/api/v1/community/people?role=courier", headers=world["sun"].headers)).json()
    assert [item["display_name"] for item in couriers["items"]] == ["张师傅"]
    property_staff = (
        await gw.get("/api/v1/community/people?department=property", headers=world["zhao"].headers)
    ).json()["items"]
    assert {item["display_name"] for item in property_staff} == {"王工", "李经理"}
    in_three = (await gw.get("/api/v1/community/people?building=3号楼", headers=li.headers)).json()["items"]
    assert {item["display_name"] for item in in_three} == {"吕女士", "陈邻居"}
    # Paged like every list.
    first = (await gw.get("/api/v1/community/people?limit=3", headers=li.headers)).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = (
        await gw.get(f"/api/v1/community/people?limit=50&cursor={first['next_cursor']}", headers=li.headers)
    ).json()
    assert len(first["items"]) + len(rest["items"]) == len(CAST)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in rest["items"]}

    neighbour = await gw.get("/api/v1/community/people", params={"q": "吕"}, headers=chen.headers)
    assert neighbour.status_code == 200, neighbour.text
    assert neighbour.json()["items"] == [
        {"id": str(world["lv"].id), "display_name": "吕女士", "building": "3号楼"}
    ]
    for forbidden in ({}, {"q": "吕", "role": "courier"}, {"q": "吕", "building": "3号楼"}):
        refused = await gw.get("/api/v1/community/people", params=forbidden, headers=chen.headers)
        assert refused.status_code == 403, (forbidden, refused.text)


async def test_claims_name_their_applicant(world: World) -> None:
    claims = await world.gw.get("/api/v1/community/household-claims", headers=world["zhao"].headers)
    assert claims.status_code == 200, claims.text
    assert {claim["applicant"]["display_name"] for claim in claims.json()} == {"吕女士", "陈邻居"}


async def _thread(
    world: World, who: Member, body: str, mentions: list[uuid.UUID] | None = None
) -> httpx.Response:
    return await world.gw.post(
        "/api/v1/forum/threads",
        json={
            "board": "mutual_help",
            "title": "谁有梯子借用",
            "body": body,
            "mentions": [str(m) for m in mentions or []],
        },
        headers=who.headers,
    )


async def test_a_mention_by_name(world: World) -> None:
    gw, lv, chen = world.gw, world["lv"], world["chen"]
    # 陈邻居 has never been to the forum: the people projection knows them all the same.
    thread = await _thread(world, lv, "@陈邻居 你家有梯子吗？")
    assert thread.status_code == 201, thread.text
    assert thread.json()["author"] == {"id": str(lv.id), "display_name": "吕女士"}
    assert thread.json()["opening_post"]["author"]["display_name"] == "吕女士"

    async def told() -> bool:
        notices = await gw.get("/api/v1/forum/me/notices", headers=chen.headers)
        return any(n["kind"] == "mention" for n in notices.json()["items"])

    await eventually(told, "陈邻居 told of the mention")

    ambiguous = await _thread(world, lv, "@刘洋 麻烦看看")
    assert ambiguous.status_code == 422, ambiguous.text
    problem = ambiguous.json()
    assert problem["code"] == "mention_ambiguous"
    [asked] = problem["mentions"]
    assert asked["name"] == "刘洋"
    assert {c["id"] for c in asked["candidates"]} == {str(world["liu_a"].id), str(world["liu_b"].id)}
    assert all(set(c) == {"id", "display_name", "building"} for c in asked["candidates"])
    # The client asked; the chosen id settles it.
    chosen = await _thread(world, lv, "@刘洋 麻烦看看", [world["liu_b"].id])
    assert chosen.status_code == 201, chosen.text

    async def liu_b_told() -> bool:
        notices = (await gw.get("/api/v1/forum/me/notices", headers=world["liu_b"].headers)).json()["items"]
        return any(n["kind"] == "mention" for n in notices)

    await eventually(liu_b_told, "the chosen 刘洋 told")
    liu_a_notices = (await gw.get("/api/v1/forum/me/notices", headers=world["liu_a"].headers)).json()["items"]
    assert not any(n["kind"] == "mention" for n in liu_a_notices)

    unknown = await _thread(world, lv, "@不存在的人 你好")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "mention_unknown"), unknown.text
    assert unknown.json()["names"] == ["不存在的人"]
    assert unknown.headers["content-type"].startswith("application/problem+json")
    # A name with a space in it, and one followed by text without a space.
    spaced = await _thread(world, lv, "@Tom Lee 周末一起下棋？@陈邻居在吗")
    assert spaced.status_code == 201, spaced.text

    async def tom_told() -> bool:
        notices = (await gw.get("/api/v1/forum/me/notices", headers=world["tom"].headers)).json()["items"]
        return any(n["kind"] == "mention" for n in notices)

    await eventually(tom_told, "Tom Lee told")
    # Someone of another community is nobody here, even by a name the forum knows.
    async with world.stack.apps["forum"].state.runtime.uow() as uow:
        await uow.session.execute(
            insert(forum_people).values(
                community_id=uuid.uuid4(), user_id=uuid.uuid4(), display_name="外乡人"
            )
        )
        await uow.commit()
    elsewhere = await _thread(world, lv, "@外乡人 你好")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "mention_unknown"), elsewhere.text
    # An e-mail address is no mention.
    assert (await _thread(world, lv, "联系 lv@example.com")).status_code == 201


async def test_dispute_parties_and_mediator_are_named(world: World) -> None:
    gw, lv, chen, sun = world.gw, world["lv"], world["chen"], world["sun"]
    opened = await gw.post(
        "/api/v1/forum/disputes", json={"parties": [str(chen.id)], "summary": "楼上漏水"}, headers=lv.headers
    )
    assert opened.status_code == 201, opened.text
    dispute = (await gw.get(f"/api/v1/forum/disputes/{opened.json()['id']}", headers=sun.headers)).json()
    assert dispute["complainant"] == {"id": str(lv.id), "display_name": "吕女士"}
    assert {p["user"]["display_name"] for p in dispute["parties"]} == {"吕女士", "陈邻居"}
    # Hidden from the other party: neither the id nor the name reaches them.
    hidden = await gw.post(
        "/api/v1/forum/disputes",
        json={"parties": [str(chen.id)], "summary": "楼上噪音", "hide_identity": True},
        headers=lv.headers,
    )
    assert hidden.status_code == 201, hidden.text
    as_respondent = await gw.get(f"/api/v1/forum/disputes/{hidden.json()['id']}", headers=chen.headers)
    assert as_respondent.json()["complainant"] is None
    assert "吕女士" not in as_respondent.text

    proposed = await gw.post(
        "/api/v1/forum/deliberations",
        json={"title": "加装电梯", "body": "3号楼想加装电梯"},
        headers=lv.headers,
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["proposer"] == {"id": str(lv.id), "display_name": "吕女士"}
    listed = (await gw.get("/api/v1/forum/deliberations", headers=chen.headers)).json()["items"]
    assert {d["proposer"]["display_name"] for d in listed} == {"吕女士"}


async def test_a_new_name_reaches_every_service(world: World) -> None:
    gw, lv, li = world.gw, world["lv"], world["li"]
    quote = await gw.post("/api/v1/errand/quotes", json=quote_body("deliver"), headers=lv.headers)
    ordered = await gw.post(
        "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}, headers=lv.headers
    )
    assert ordered.status_code == 201, ordered.text
    report = await _anonymous_report(world)
    thread = await _thread(world, lv, "新名字试试")
    assert thread.status_code == 201
    renamed = await gw.patch("/api/v1/me", json={"display_name": "吕阿姨"}, headers=lv.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "吕阿姨"

    async def everywhere() -> bool:
        orders = (await gw.get("/api/v1/errand/orders?as=requester", headers=lv.headers)).json()["items"]
        seen_report = (await gw.get(f"/api/v1/reports/{report['id']}", headers=li.headers)).json()
        seen_thread = (
            await gw.get(f"/api/v1/forum/threads/{thread.json()['id']}", headers=li.headers)
        ).json()
        return (
            bool(orders)
            and all(o["requester"]["display_name"] == "吕阿姨" for o in orders)
            and seen_report["reporter"]["display_name"] == "吕阿姨"
            and seen_thread["author"]["display_name"] == "吕阿姨"
        )

    await eventually(everywhere, "吕阿姨 in errand, reports and forum")
    found = (await gw.get("/api/v1/community/people", params={"q": "吕阿姨"}, headers=li.headers)).json()
    assert [item["id"] for item in found["items"]] == [str(lv.id)]


class PeopleQueries:
    """Counts the statements reading a service's people projection (other statements of the
    service, its relay and consumers, run meanwhile and are not counted)."""

    def __init__(self, stack: Stack, service: str) -> None:
        self.engine = stack.apps[service].state.runtime.engine.sync_engine
        self.count = 0

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM people" in statement:
            self.count += 1

    def __enter__(self) -> PeopleQueries:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def test_a_list_reads_names_once_whatever_its_length(world: World) -> None:
    gw, lv, li = world.gw, world["lv"], world["li"]
    for _ in range(3):
        await _anonymous_report(world)
        quote = await gw.post("/api/v1/errand/quotes", json=quote_body("deliver"), headers=lv.headers)
        assert (
            await gw.post(
                "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}, headers=lv.headers
            )
        ).status_code == 201
    with PeopleQueries(world.stack, "errand") as errand_reads:
        orders = (await gw.get("/api/v1/errand/orders?as=requester&limit=50", headers=lv.headers)).json()
    assert len(orders["items"]) >= 3
    assert errand_reads.count == 1
    with PeopleQueries(world.stack, "reports") as report_reads:
        queue = (await gw.get("/api/v1/reports?scope=queue&limit=50", headers=li.headers)).json()
    assert len(queue["items"]) >= 3
    assert all(item["reporter"]["display_name"] for item in queue["items"])
    assert report_reads.count == 1
    with PeopleQueries(world.stack, "forum") as forum_reads:
        threads = (await gw.get("/api/v1/forum/threads?limit=50", headers=li.headers)).json()
    assert len(threads["items"]) >= 2
    assert forum_reads.count == 1

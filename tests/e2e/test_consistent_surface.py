"""One consistent surface (issue 11, item 6), through the gateway in front of the four services:
every time in every JSON answer and on the stream is RFC 3339 with a `T` and an offset; one
field name for one thing (`tip_fen`, the photo field `photo`); problem details name states in the
reader's language; validation messages speak it too; the report's 201 carries its first timeline
row; deliberation steps that change nothing are 409 with a code; categories answer without a
token; registration tells "no community yet" from "several communities"; Open311 discovery lists
the jurisdictions and its POST answers the id, never a token."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.domain.identity import DomainError
from gateway.service_layer.accounts import create_community, resolve_community
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.e2e.test_names import World, _build_world, _order_accepted_by_zhang, eventually
from tests.errand.helpers import drop_redis_keys
from tests.gateway.helpers import SseReader
from tests.reports.helpers import image_bytes

# A time anywhere in a string: a date, then a time. Every such time must be RFC 3339 in full.
_TIME_INSIDE = re.compile(r"\d{4}-\d{2}-\d{2}[T t_ ]\d{2}:\d{2}[^\s\"”，。)]*")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def times_not_rfc3339(value: Any, where: str = "$") -> list[str]:
    """Every time in ``value`` (a decoded JSON document) that is not RFC 3339 with an offset."""
    if isinstance(value, dict):
        return [bad for key, inner in value.items() for bad in times_not_rfc3339(inner, f"{where}.{key}")]
    if isinstance(value, list):
        return [bad for i, inner in enumerate(value) for bad in times_not_rfc3339(inner, f"{where}[{i}]")]
    if isinstance(value, str):
        return [
            f"{where}: {found.group(0)!r}"
            for found in _TIME_INSIDE.finditer(value)
            if not _RFC3339.fullmatch(found.group(0))
        ]
    return []


def test_the_time_walker_itself() -> None:
    assert times_not_rfc3339({"a": ["2026-05-01T09:30:00+08:00", "2026-05-01T01:30:00.123Z"]}) == []
    assert times_not_rfc3339({"at": "2026-05-01 09:30:00+08:00"})  # a space
    assert times_not_rfc3339({"at": "2026-05-01T09:30:00"})  # no offset
    assert times_not_rfc3339({"note": "due 2026-05-01T09:30:00"})  # inside text too
    assert times_not_rfc3339({"day": "2026-05-01", "n": 3}) == []  # a date is not a time


class Walker:
    """Checks every JSON answer the client receives; what it found stays in ``bad``."""

    def __init__(self) -> None:
        self.bad: list[str] = []
        self.seen = 0

    async def __call__(self, response: httpx.Response) -> None:
        if "json" not in response.headers.get("content-type", ""):
            return
        await response.aread()
        self.seen += 1
        found = times_not_rfc3339(response.json())
        self.bad += [f"{response.request.method} {response.request.url.path} {bad}" for bad in found]


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[tuple[World, Walker]]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    overrides: dict[str, dict[str, object]] = {
        "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False},
        "gateway": {"rate_limit_enabled": False},
    }
    walker = Walker()
    async with (
        stack_of(
            ["errand", "reports", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
        ) as stack,
        httpx.AsyncClient(
            base_url=stack.urls["gateway"], timeout=30, event_hooks={"response": [walker]}
        ) as gw,
    ):
        try:
            yield await _build_world(stack, gw), walker
        finally:
            await drop_redis_keys(stack.settings["errand"].redis_url, f"wltest:{namespace}:errand")


async def test_every_time_in_every_answer_is_rfc3339(world: tuple[World, Walker]) -> None:
    w, walker = world
    gw, lv, zhang, li, wang = w.gw, w["lv"], w["zhang"], w["li"], w["wang"]

    async def courier_active() -> bool:
        return (await gw.get("/api/v1/errand/courier/points", headers=zhang.headers)).status_code == 200

    await eventually(courier_active, "the courier's profile in errand")
    order = await _order_accepted_by_zhang(w)
    url = f"/api/v1/errand/orders/{order['id']}"
    code = (await gw.get(url, headers=lv.headers)).json()["delivery_code"]
    for step, body in (("arrive", None), ("pickup", None), ("deliver", {"delivery_code": code})):
        done = await gw.post(f"{url}/{step}", json=body, headers=zhang.headers)
        assert done.status_code == 200, (step, body, done.text)
    assert (await gw.post(f"{url}/confirm", headers=lv.headers)).status_code == 200
    # `tip_fen` as on orders; the body's first name, `amount_fen`, is still accepted.
    tipped = await gw.post(f"{url}/tip", json={"tip_fen": 300}, headers=lv.headers)
    assert tipped.status_code == 200, tipped.text
    assert tipped.json()["tip_fen"] == 300
    old_name = await gw.post(f"{url}/tip", json={"amount_fen": 200}, headers=lv.headers)
    assert old_name.status_code == 200, old_name.text
    assert old_name.json()["tip_fen"] == 500
    for path, who in (
        (url, lv),
        ("/api/v1/errand/orders?as=requester", lv),
        ("/api/v1/errand/orders?as=courier", zhang),
        ("/api/v1/errand/courier/points", zhang),
        ("/api/v1/errand/courier/earnings", zhang),
        ("/api/v1/errand/stats", w["admin"]),
    ):
        answer = await gw.get(path, headers=who.headers)
        assert answer.status_code == 200, (path, answer.text)

    submitted = await gw.post(
        "/api/v1/reports",
        json={"category": "other", "location": {"building": "3号楼"}, "description": "门禁坏了"},
        headers={**lv.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    # The 201 carries the first timeline row, as the detail does.
    assert [(row["action"], row["to_status"]) for row in report["timeline"]] == [("submit", "submitted")]
    assert report["timeline"][0]["actor"]["display_name"] == "吕女士"
    rurl = f"/api/v1/reports/{report['id']}"
    photo = await gw.post(
        f"{rurl}/photos",
        files={"photo": ("p.jpg", image_bytes(), "image/jpeg")},
        data={"kind": "before"},
        headers=lv.headers,
    )
    assert photo.status_code == 201, photo.text  # the photo field is `photo`, as on errand's /deliver
    assert (await gw.post(f"{rurl}/accept", headers=li.headers)).status_code == 200
    assigned = await gw.post(f"{rurl}/assign", json={"staff_id": str(wang.id)}, headers=li.headers)
    assert assigned.status_code == 200, assigned.text
    for path, who in (
        (rurl, li),
        ("/api/v1/reports?scope=queue", li),
        ("/api/v1/reports/stats", li),
        ("/api/v1/reports/staff", li),
        ("/api/v1/reports/categories", lv),
    ):
        answer = await gw.get(path, headers=who.headers)
        assert answer.status_code == 200, (path, answer.text)

    topic = await gw.post(
        "/api/v1/forum/deliberations", json={"title": "加装电梯", "body": "老楼加装电梯"}, headers=lv.headers
    )
    assert topic.status_code == 201, topic.text
    thread = await gw.post(
        "/api/v1/forum/threads",
        json={"board": "grievances", "title": "楼上漏水", "body": "楼上漏水到我家"},
        headers=w["chen"].headers,
    )
    assert thread.status_code == 201, thread.text
    for path in (
        "/api/v1/forum/deliberations",
        "/api/v1/forum/threads",
        f"/api/v1/forum/threads/{thread.json()['id']}",
    ):
        assert (await gw.get(path, headers=lv.headers)).status_code == 200

    async def notified() -> bool:
        inbox = (await gw.get("/api/v1/me/notifications", headers=lv.headers)).json()
        return len(inbox["items"]) >= 2

    await eventually(notified, "吕女士's notifications")
    for path in ("/api/v1/me", "/api/v1/me/notifications", "/api/v1/community/people?q=吕"):
        assert (await gw.get(path, headers=lv.headers)).status_code == 200

    # The stream: what came after the oldest notification, replayed.
    oldest = (await gw.get("/api/v1/me/notifications", headers=lv.headers)).json()["items"][-1]["id"]
    ticket = (await gw.post("/api/v1/me/notifications/stream-ticket", headers=lv.headers)).json()["ticket"]
    reader = SseReader(gw, f"/api/v1/me/notifications/stream?ticket={ticket}", {"Last-Event-ID": oldest})
    async with reader.running() as stream:
        for _ in range(100):
            if stream.notifications():
                break
            await asyncio.sleep(0.05)
        pushed = stream.notifications()
    assert pushed, "nothing on the stream"
    assert times_not_rfc3339(pushed) == []
    assert all(_RFC3339.fullmatch(item["created_at"]) for item in pushed)

    assert walker.seen >= 30
    assert walker.bad == []


async def test_problem_details_and_validation_speak_the_readers_language(world: tuple[World, Walker]) -> None:
    w, _ = world
    gw, lv, zhang = w.gw, w["lv"], w["zhang"]
    order = await _order_accepted_by_zhang(w)
    url = f"/api/v1/errand/orders/{order['id']}"
    zh = await gw.post(f"{url}/confirm", headers={**lv.headers, "Accept-Language": "zh-CN"})
    assert zh.status_code == 409, zh.text
    assert "已接单" in zh.json()["detail"]
    assert "accepted" not in zh.json()["detail"]
    ko = await gw.post(f"{url}/confirm", headers={**lv.headers, "Accept-Language": "ko"})
    assert "수락됨" in ko.json()["detail"]
    en = await gw.post(f"{url}/confirm", headers={**lv.headers, "Accept-Language": "en"})
    assert "accepted" in en.json()["detail"]
    del zhang

    bad = {"category": "other", "location": {"building": "3号楼"}, "description": "", "extra": 1}
    answers = {
        locale: (
            await gw.post(
                "/api/v1/reports",
                json=bad,
                headers={**lv.headers, "Accept-Language": locale, "Idempotency-Key": str(uuid.uuid4())},
            )
        ).json()
        for locale in ("zh-CN", "en", "ko")
    }
    by_field = {locale: {e["field"]: e for e in body["errors"]} for locale, body in answers.items()}
    assert by_field["zh-CN"]["extra"]["message"] == "不认识这个字段。"
    assert by_field["en"]["extra"]["message"] == "This field is not expected."
    assert by_field["ko"]["extra"]["message"] == "알 수 없는 항목입니다."
    assert by_field["zh-CN"]["description"]["code"] == "string_too_short"  # codes stay pydantic's
    assert "1" in by_field["zh-CN"]["description"]["message"]
    assert not re.search("[A-Za-z]{4,}", by_field["zh-CN"]["description"]["message"])


async def test_deliberation_steps_that_change_nothing_are_409(world: tuple[World, Walker]) -> None:
    w, _ = world
    gw, lv, chen, zhao = w.gw, w["lv"], w["chen"], w["zhao"]
    policy = {"support_threshold": 2, "window_days": 7, "quorum_households": 1, "pass_ratio": 0.5}
    assert (await gw.put("/api/v1/forum/policy", json=policy, headers=zhao.headers)).status_code == 200
    created = await gw.post(
        "/api/v1/forum/deliberations", json={"title": "楼道装灯", "body": "装声控灯"}, headers=lv.headers
    )
    url = f"/api/v1/forum/deliberations/{created.json()['id']}"
    assert (await gw.post(f"{url}/supports", headers=lv.headers)).status_code == 200
    # The same account again is a retry from a flaky network: the topic, counted once. (Another
    # account of a counted household is told 409 household_already_counted:
    # tests/forum/test_household_concurrency.py.)
    again = await gw.post(f"{url}/supports", headers=lv.headers)
    assert again.status_code == 200, again.text
    assert again.json()["household_supports"] == 1
    assert (await gw.post(f"{url}/supports", headers=chen.headers)).status_code == 200  # -> screening
    late = await gw.post(f"{url}/supports", headers={**chen.headers, "Accept-Language": "zh-CN"})
    assert (late.status_code, late.json()["code"]) == (409, "transition_not_allowed")
    assert "审核中" in late.json()["detail"]
    accepted = await gw.post(f"{url}/screening", json={"decision": "accept"}, headers=zhao.headers)
    assert accepted.status_code == 200, accepted.text
    repeated = await gw.post(f"{url}/screening", json={"decision": "accept"}, headers=zhao.headers)
    assert repeated.status_code == 409, repeated.text
    assert repeated.json()["code"] in {"state_unchanged", "transition_not_allowed"}
    view = (await gw.get(url, headers=lv.headers)).json()
    assert [row["action"] for row in view["timeline"]] == ["open", "support_threshold_met", "screen_accept"]


async def test_categories_without_a_token_and_open311_jurisdictions(world: tuple[World, Walker]) -> None:
    w, _ = world
    gw, stack = w.gw, w.stack
    code = f"c-{uuid.uuid4().hex[:8]}"
    async with stack.apps["gateway"].state.runtime.uow() as uow:
        created = await create_community(uow, code=code, name="第二社区", timezone="Asia/Shanghai")

    async def known() -> bool:
        found = await gw.get("/api/v1/reports/categories", params={"community": code})
        return found.status_code == 200

    await eventually(known, "the community in the reports service")
    for locale in ("zh-CN", "en", "ko"):
        listed = await gw.get(
            "/api/v1/reports/categories", params={"community": code}, headers={"Accept-Language": locale}
        )
        lifts = {item["code"]: item for item in listed.json()}["lifts"]
        assert lifts["name"] == lifts["names"][locale]
    # The only community the reports service was told about: the code may be left out.
    alone = await gw.get("/api/v1/reports/categories")
    assert alone.status_code == 200, alone.text
    unknown = await gw.get("/api/v1/reports/categories", params={"community": "no-such-place"})
    assert unknown.status_code == 404

    discovery = (await gw.get("/open311/v2/discovery.json")).json()
    assert {"jurisdiction_id": str(created["id"]), "code": code, "name": "第二社区"} in discovery[
        "jurisdictions"
    ]
    xml = await gw.get("/open311/v2/discovery.xml")
    assert f"<jurisdiction_id>{created['id']}</jurisdiction_id>" in xml.text


async def test_registration_says_no_community_apart_from_several(world: tuple[World, Walker]) -> None:
    w, _ = world
    gw = w.gw
    several = await gw.post(
        "/api/v1/auth/register",
        json={"phone": "13912340000", "password": "s3cret-pass", "display_name": "新人"},
    )
    assert (several.status_code, several.json()["code"]) == (422, "community_required")
    # No community at all: inside a transaction that is rolled back (TRUNCATE is transactional).
    async with w.stack.apps["gateway"].state.runtime.uow() as uow:
        await uow.session.execute(text("TRUNCATE communities CASCADE"))
        with pytest.raises(DomainError) as refused:
            await resolve_community(uow, None)
        await uow.session.rollback()
    assert (refused.value.code, refused.value.status) == ("no_community_yet", 409)
    assert (await gw.get("/api/v1/me", headers=w["lv"].headers)).status_code == 200  # nothing lost

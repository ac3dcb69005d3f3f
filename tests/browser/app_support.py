"""Helpers of the app's browser tests (tests/browser/test_app_*.py): people registered through the
gateway's API, the office's steps done through the API (staff, committee and admin are not the app's
users), phone contexts with a granted location, and the screenshot-with-layout check at 360×640 in
normal and large-text mode."""

from __future__ import annotations

import asyncio
import io
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, Page

from tests.browser.conftest import PASSWORD, Person, Shot, WebStack, _context

# A point in Beijing (WGS-84, what a phone's GPS reports). GCJ-02 moves it by about 500 m: an order
# placed at the GCJ-02 point is within the feed's 500 m only if the app converted before sending.
HOME_WGS84 = (39.9087, 116.3975)


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """The published GCJ-02 offset (as web/app/src/lib/geo.ts, which has its own unit test)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = d_lat * 180.0 / ((a * (1 - ee)) / (magic * sqrt_magic) * math.pi)
    d_lng = d_lng * 180.0 / (a / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lng + d_lng


def photo_jpeg(color: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return out.getvalue()


class Office:
    """The gateway's API as the office and the seeded admin use it (steps that are not the app's)."""

    def __init__(self, web: WebStack) -> None:
        self.web = web
        self.http = httpx.AsyncClient(base_url=web.base_url, timeout=30)

    async def close(self) -> None:
        await self.http.aclose()

    async def headers(self, person: Person) -> dict[str, str]:
        login = await self.http.post("/api/v1/auth/login", json={"phone": person.phone, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def register(self, name: str) -> Person:
        person = Person(name, f"139{uuid.uuid4().int % 10**8:08d}", None)
        answer = await self.http.post(
            "/api/v1/auth/register",
            json={
                "phone": person.phone,
                "password": PASSWORD,
                "display_name": name,
                "community_code": self.web.community_code,
            },
        )
        assert answer.status_code == 201, answer.text
        person.id = answer.json()["id"]
        return person

    async def call(self, who: Person, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**await self.headers(who), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def household(self, building: str, unit: str, room: str, *, elderly_alone: bool = False) -> str:
        admin = self.web.people["admin"]
        made = await self.call(admin, "POST", "/api/v1/community/buildings", json={"name": building})
        if made.status_code == 201:
            building_id = made.json()["id"]
        else:
            listed = await self.call(admin, "GET", "/api/v1/community/buildings")
            items = listed.json()["items"] if isinstance(listed.json(), dict) else listed.json()
            building_id = next(b["id"] for b in items if b["name"] == building)
        household = await self.call(
            admin,
            "POST",
            "/api/v1/community/households",
            json={"building_id": building_id, "unit": unit, "room": room, "elderly_alone": elderly_alone},
        )
        assert household.status_code == 201, household.text
        return str(household.json()["id"])

    async def approve_claims(self) -> None:
        admin = self.web.people["admin"]
        pending = await self.call(
            admin, "GET", "/api/v1/community/household-claims", params={"status": "pending"}
        )
        assert pending.status_code == 200, pending.text
        for claim in pending.json():
            decided = await self.call(
                admin,
                "POST",
                f"/api/v1/community/household-claims/{claim['id']}/decision",
                json={"decision": "approve"},
            )
            assert decided.status_code == 200, decided.text

    async def claim(self, person: Person, building: str, unit: str, room: str) -> None:
        claimed = await self.call(
            person,
            "POST",
            "/api/v1/me/household-claims",
            json={"real_name": person.name, "building": building, "unit": unit, "room": room},
        )
        assert claimed.status_code == 201, claimed.text

    async def approve_courier_applications(self) -> None:
        admin = self.web.people["admin"]
        pending = await self.call(
            admin, "GET", "/api/v1/community/courier-applications", params={"status": "pending"}
        )
        assert pending.status_code == 200, pending.text
        assert pending.json(), "no pending courier application"
        for application in pending.json():
            decided = await self.call(
                admin,
                "POST",
                f"/api/v1/community/courier-applications/{application['id']}/decision",
                json={"decision": "approve"},
            )
            assert decided.status_code == 200, decided.text


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.2)):
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


async def office_for(web_stack: WebStack) -> AsyncIterator[Office]:
    o = Office(web_stack)
    try:
        yield o
    finally:
        await o.close()


PhoneFactory = Callable[..., Awaitable[Page]]


async def phones_for(browser: Browser, web_stack: WebStack) -> AsyncIterator[PhoneFactory]:
    """Open more phones (360×640, zh-CN), each its own context; `location` grants geolocation."""
    opened: list[AsyncIterator[Any]] = []

    async def open_phone(location: tuple[float, float] | None = HOME_WGS84) -> Page:
        options: dict[str, Any] = {
            "viewport": {"width": 360, "height": 640},
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
        }
        if location is not None:
            options["geolocation"] = {"latitude": location[0], "longitude": location[1]}
            options["permissions"] = ["geolocation"]
        contexts = _context(browser, web_stack, **options)
        opened.append(contexts)
        context = await contexts.__anext__()
        return await context.new_page()

    try:
        yield open_phone
    finally:
        for contexts in reversed(opened):
            with pytest.raises(StopAsyncIteration):
                await contexts.__anext__()


async def sign_in(page: Page, person: Person, path: str = "/app/") -> None:
    await page.goto(path)
    await page.locator("input[name=phone]").fill(person.phone)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("[data-test=submit]").click()
    await page.locator("[data-test=shell]").wait_for()


LAYOUT_CHECK = """() => {
  const root = document.scrollingElement;
  const problems = [];
  if (root.scrollWidth > root.clientWidth + 1) problems.push(`page ${root.scrollWidth}>${root.clientWidth}`);
  for (const el of document.querySelectorAll('body *')) {
    if (el.offsetParent === null || !el.childNodes.length) continue;
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!hasText) continue;
    const style = getComputedStyle(el);
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'visible' && style.overflowX !== 'auto')
      problems.push(`cut: ${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}"`);
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 1 && box.width > 0)
      problems.push(`outside: ${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}"""


# What a finger must hit (as tests/browser/test_faces.py checks the shell): >= 44 px in large text.
TARGETS = ".van-button, .van-tabbar-item, .van-cell, .van-field__control, .van-switch, a, button, input"
TOO_SMALL = """(selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.offsetParent !== null)
    .map((el) => {
        const target = el.classList.contains('van-switch') ? el.closest('.van-cell') ?? el : el;
        return [el, target.getBoundingClientRect()];
    })
    .filter(([el, box]) => box.height < 44 || box.width < 44)
    .map(([el, box]) => `${el.tagName.toLowerCase()}.${el.className}: ${box.width}x${box.height}`)"""


async def layout_problems(page: Page) -> list[str]:
    return list(await page.evaluate(LAYOUT_CHECK))


async def screens(page: Page, shot: Shot, name: str) -> None:
    """Screenshots of this screen in normal and large-text mode; each must fit 360 px: no horizontal
    overflow of the page and no cut text. Leaves the page in the mode it found it."""
    was_large = await page.evaluate("document.documentElement.classList.contains('large-text')")
    for large in (False, True):
        await page.evaluate("(on) => document.documentElement.classList.toggle('large-text', on)", large)
        await page.wait_for_timeout(150)
        assert await layout_problems(page) == [], f"{name} ({'large' if large else 'normal'} text)"
        if large:
            assert await page.evaluate(TOO_SMALL, TARGETS) == [], f"{name}: touch targets under 44 px"
        await shot(page, f"app-{name}{'-large-text' if large else ''}-zh-CN")
    await page.evaluate("(on) => document.documentElement.classList.toggle('large-text', on)", was_large)


async def staff(office: Office, name: str, role: str, department: str) -> Person:
    """A member of staff registered and granted a role in a department by the admin."""
    person = await office.register(name)
    granted = await office.call(
        office.web.people["admin"],
        "POST",
        f"/api/v1/admin/users/{person.id}/roles",
        json={"role": role, "department": department},
    )
    assert granted.status_code == 200, granted.text
    return person

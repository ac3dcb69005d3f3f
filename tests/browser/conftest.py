"""Browser tests of the two faces (DESIGN.md §9): Playwright (the PyPI package) driving Debian's
Chromium at /usr/bin/chromium — never `playwright install`, never a browser download — against the
real stack (the four services, PostgreSQL, Redis, RabbitMQ) with the gateway serving the built apps.

- `web_stack` (session): builds web/ when stale (scripts/build_web.py), starts ONE stack for every
  browser test and seeds a community with a few people (`people`), as tests/e2e do.
- `browser` (session): one Chromium.
- `page` / `phone_page`: a fresh context per test (zh-CN, desktop 1280×800 or phone 360×640) that
  records the host of every request; the test fails if anything but the gateway was contacted.
- `shot(page, name)`: a full-page screenshot under tests/browser/screenshots/ (gitignored); the path
  is printed (run with -s to see it).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.dialects.postgresql import insert

from gateway.adapters.tables import communities, role_grants
from servicekit.stack import Stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.errand.helpers import drop_redis_keys
from tests.gateway.helpers import CHEAP_PASSWORD_HASHES
from tests.web.scripts import load_script

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "browser-pass-1"


@dataclass
class Person:
    name: str
    phone: str
    role: str | None
    id: str = ""


@dataclass
class WebStack:
    stack: Stack
    base_url: str
    people: dict[str, Person] = field(default_factory=dict)
    community_code: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


def _phone() -> str:
    return f"137{uuid.uuid4().int % 10**8:08d}"


CAST = {
    # key: (display name, role granted by the admin or None for a plain resident)
    "admin": ("管理员甲", None),
    "manager": ("李经理", "property_manager"),
    "resident": ("王阿姨", None),
    # the console's tests (tests/browser/test_console_*.py)
    "staff": ("张师傅", "property_staff"),
    "committee": ("赵委员", "committee"),
    "mediator": ("陈调解", "mediator"),
    "neighbour": ("刘先生", None),
}


@pytest.fixture(scope="session")
async def web_stack() -> AsyncIterator[WebStack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    load_script("build_web").ensure_built()
    namespace = new_namespace()
    signer = TokenSigner.generate()
    overrides: dict[str, dict[str, object]] = {
        "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False},
        "gateway": {"rate_limit_enabled": False, **CHEAP_PASSWORD_HASHES},
    }
    async with stack_of(
        ["errand", "reports", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
    ) as stack:
        try:
            web = WebStack(stack, stack.urls["gateway"])
            await _seed(web)
            yield web
        finally:
            await drop_redis_keys(stack.settings["errand"].redis_url, f"wltest:{namespace}:errand")


async def _seed(web: WebStack) -> None:
    """A community and its people, as `dev.py run` seeds the first admin and the API does the rest."""
    community_id, code = uuid.uuid4(), f"b-{uuid.uuid4().hex[:10]}"
    web.community_code = code
    runtime = web.stack.apps["gateway"].state.runtime
    async with runtime.uow() as uow:
        await uow.session.execute(insert(communities).values(id=community_id, code=code, name="浏览器社区"))
        await uow.commit()
    async with httpx.AsyncClient(base_url=web.base_url, timeout=30) as gw:
        for key, (name, role) in CAST.items():
            person = Person(name, _phone(), role)
            registered = await gw.post(
                "/api/v1/auth/register",
                json={
                    "phone": person.phone,
                    "password": PASSWORD,
                    "display_name": name,
                    "community_code": code,
                },
            )
            assert registered.status_code == 201, registered.text
            person.id = registered.json()["id"]
            web.people[key] = person
        async with runtime.uow() as uow:
            await uow.session.execute(
                insert(role_grants).values(
                    user_id=uuid.UUID(web.people["admin"].id), community_id=community_id, role="admin"
                )
            )
            await uow.commit()
        login = await gw.post(
            "/api/v1/auth/login", json={"phone": web.people["admin"].phone, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for person in web.people.values():
            if person.role:
                granted = await gw.post(
                    f"/api/v1/admin/users/{person.id}/roles",
                    json={"role": person.role}
                    | ({"department": "property"} if person.role.startswith("property_") else {}),
                    headers=admin,
                )
                assert granted.status_code == 200, granted.text


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _context(browser: Browser, web: WebStack, **options: object) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="zh-CN", base_url=web.base_url, **options)  # type: ignore[arg-type]
    hosts: list[str] = []
    context.on("request", lambda request: hosts.append(urlsplit(request.url).netloc or request.url))
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    try:
        yield context
    finally:
        await context.close()
    # data: and blob: (an object URL of a photo the page itself holds) never leave the browser.
    foreign = sorted({host for host in hosts if host != web.host and not host.startswith(("data:", "blob:"))})
    assert not foreign, f"the page contacted hosts other than the gateway ({web.host}): {foreign}"
    assert hosts, "no request was recorded"
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
async def page(browser: Browser, web_stack: WebStack) -> AsyncIterator[Page]:
    async for context in _context(browser, web_stack, viewport={"width": 1280, "height": 800}):
        yield await context.new_page()


@pytest.fixture
async def phone_page(browser: Browser, web_stack: WebStack) -> AsyncIterator[Page]:
    async for context in _context(
        browser,
        web_stack,
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ):
        yield await context.new_page()


Shot = Callable[[Page, str], Awaitable[Path]]


@pytest.fixture
def shot() -> Shot:
    async def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take


# -- the app's tests (tests/browser/test_app_*.py; helpers in app_support.py) ---------------------------
@pytest.fixture
async def office(web_stack: WebStack) -> AsyncIterator[Any]:
    """The office's and admin's steps through the gateway's API (app_support.Office)."""
    from tests.browser.app_support import office_for

    async for made in office_for(web_stack):
        yield made


@pytest.fixture
async def phones(browser: Browser, web_stack: WebStack) -> AsyncIterator[Any]:
    """A factory of more 360×640 phones, each its own context, with a granted location by default."""
    from tests.browser.app_support import phones_for

    async for made in phones_for(browser, web_stack):
        yield made

"""Helpers of the console's browser tests: sign in through the form, call the API as a person."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Person, WebStack


async def sign_in(page: Page, person: Person, path: str = "/console/") -> None:
    await page.goto(path)
    await page.locator("input[name=phone]").fill(person.phone)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("[data-test=submit]").click()
    await expect(page.locator("[data-test=shell]")).to_be_visible()


async def sign_out(page: Page) -> None:
    await page.locator("[data-test=sign-out]").click()
    await expect(page.locator("input[name=phone]")).to_be_visible()


@contextlib.asynccontextmanager
async def api_as(web: WebStack, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    """An API client signed in as `person`."""
    async with httpx.AsyncClient(base_url=web.base_url, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"phone": person.phone, "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


async def pick(page: Page, select: str, option: str) -> None:
    """Choose `option` (visible text) in the Element Plus select `[data-test=select]`."""
    await page.locator(f"[data-test={select}]").click()
    await page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def json_of(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()

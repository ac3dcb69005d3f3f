"""Registering in the app, claiming the household, the notification arriving live on the inbox, and
the offline state (issue 14). The committee's approval goes through the API."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from tests.browser.app_support import Office, PhoneFactory, screens
from tests.browser.conftest import Shot, WebStack


async def test_register_claim_the_household_and_get_the_decision_live(
    web_stack: WebStack, office: Office, phones: PhoneFactory, shot: Shot
) -> None:
    await office.household("12号楼", "3", "601")
    page = await phones(None)
    await page.goto("/app/")
    await screens(page, shot, "sign-in")
    await page.locator("[data-test=to-register]").click()
    phone = f"136{uuid.uuid4().int % 10**8:08d}"
    await page.locator("input[name=phone]").fill(phone)
    await page.locator("input[name=display_name]").fill("何奶奶")
    await page.locator("input[name=password]").fill("grandma-pass-1")
    await screens(page, shot, "register")
    await page.locator("[data-test=register]").click()
    await expect(page.get_by_text("何奶奶")).to_be_visible()
    await screens(page, shot, "me")

    await page.locator("[data-test=to-claim]").click()
    await page.locator("input[name=real_name]").fill("何秀兰")
    await page.locator("input[name=building]").fill("12号楼")
    await page.locator("input[name=unit]").fill("3")
    await page.locator("input[name=room]").fill("601")
    await screens(page, shot, "household-claim")
    await page.locator("[data-test=claim-submit]").click()
    await expect(page.locator("[data-test=claim-status]")).to_contain_text("审核中")

    # The inbox is open when the committee approves: the notification arrives on the stream.
    await page.locator("[data-test=to-notifications]").click()
    await expect(page.locator("[data-test=notifications]")).to_be_visible()
    await page.wait_for_timeout(500)  # the stream connects
    await office.approve_claims()
    await expect(page.locator("[data-test=notification]").first).to_be_visible(timeout=15000)
    await screens(page, shot, "notifications")
    await page.goto("/app/me")
    await expect(page.locator("[data-test=household-code]")).not_to_be_empty()

    # No network: the banner says so plainly; back online, it goes away on the next answer.
    await page.locator("[data-test=tab-home]").click()
    await expect(page.locator("[data-test=home]")).to_be_visible()
    await page.context.set_offline(True)
    await page.get_by_role("button", name="刷新").click()
    await expect(page.locator("[data-test=offline]")).to_be_visible()
    await expect(page.locator("[data-test=offline]")).to_contain_text("网络")
    await screens(page, shot, "offline")
    await page.context.set_offline(False)
    await page.get_by_role("button", name="刷新").click()
    await expect(page.locator("[data-test=offline]")).to_have_count(0)

    # A screen not loaded yet cannot come while offline: the banner says so, nothing breaks.
    await page.context.set_offline(True)
    await page.locator("[data-test=tab-repairs]").click()
    await expect(page.locator("[data-test=offline]")).to_be_visible()
    await page.context.set_offline(False)
    await page.locator("[data-test=tab-repairs]").click()
    await expect(page.locator("[data-test=new-report]")).to_be_visible()

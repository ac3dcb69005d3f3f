"""People and roles, errands and moderation in Chromium against the real stack: an admin finds a
neighbour by name, grants the mediator role and revokes it; the errands overview and the moderation
screen show (empty states included) without an error."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import Shot, WebStack
from tests.browser.console_helpers import sign_in


async def test_admin_grants_and_revokes_a_role_by_name(page: Page, web_stack: WebStack, shot: Shot) -> None:
    admin, neighbour = web_stack.people["admin"], web_stack.people["neighbour"]
    await sign_in(page, admin, "/console/people")
    await page.locator("[data-test=people-q]").fill(neighbour.name)
    await page.locator("[data-test=people-search]").click()
    table = page.locator("[data-test=people-table]")
    row = table.locator("tr", has_text=neighbour.name)
    await expect(row).to_have_count(1)
    await row.locator("[data-test=grant-role]").click()
    await page.locator(".el-select-dropdown__item:visible", has_text="调解员").first.click()
    await row.locator("[data-test=grant]").click()
    await expect(row.locator(".el-tag", has_text="调解员")).to_be_visible()
    await shot(page, "console-people-zh-CN")
    await row.locator(".el-tag", has_text="调解员").locator(".el-tag__close").click()
    await expect(row.locator(".el-tag", has_text="调解员")).to_have_count(0)

    await page.locator("[data-test=nav]").get_by_text("跑腿概览").click()
    await expect(page.locator("[data-test=errand-stats]")).to_contain_text("在线跑腿员")
    await shot(page, "console-errands-zh-CN")
    await page.locator("[data-test=nav]").get_by_text("版务与热点").click()
    await expect(page.locator("[data-test=moderation]")).to_contain_text("举报队列")
    await expect(page.locator("[data-test=problem]")).to_have_count(0)
    await shot(page, "console-moderation-zh-CN")
    await page.locator("[data-test=bell]").click()
    await expect(page.locator("[data-test=inbox]")).to_be_visible()
    await shot(page, "console-inbox-zh-CN")

"""Supervision and statistics in Chromium against the real stack: the committee sees the figures and
charts, sees them change when a new report comes in, and exports the range as CSV; the same screen in
English and Korean."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import Shot, WebStack
from tests.browser.console_helpers import api_as, json_of, pick, sign_in


async def test_committee_sees_stats_change_and_exports(page: Page, web_stack: WebStack, shot: Shot) -> None:
    committee, resident = web_stack.people["committee"], web_stack.people["resident"]
    await sign_in(page, committee, "/console/supervision")
    await expect(page.locator("[data-test=stats][data-loaded=true]")).to_be_visible()
    total = page.locator("[data-test=stats-total]")
    before = int(await total.inner_text())

    async with api_as(web_stack, resident) as client:
        report = json_of(
            await client.post(
                "/api/v1/reports",
                json={
                    "category": "water_drains",
                    "location": {"building": "5", "unit": "2"},
                    "description": "5号楼2单元下水道堵塞",
                },
                headers={"Idempotency-Key": "browser-stats-1"},
            )
        )
    await page.locator("[data-test=refresh]").click()
    await expect(page.locator("[data-test=stats][data-loaded=true]")).to_be_visible()
    await expect(total).to_have_text(str(before + 1))
    table = page.locator("[data-test=stats-table]")
    await expect(table).to_contain_text("水管下水")
    await expect(page.locator("[data-test=chart-volume] canvas")).to_have_count(1)
    await shot(page, "console-stats-zh-CN")

    async with page.expect_download() as downloading:
        await page.locator("[data-test=export]").click()
    download = await downloading.value
    assert download.suggested_filename.startswith("reports-")
    content = (await download.path()).read_text(encoding="utf-8-sig")
    assert report["id"] in content

    # The same screen in English and in Korean (the choice is the user's, kept on reload).
    await pick(page, "locale", "English")
    await expect(page.locator("[data-test=stats]")).to_contain_text("Supervision & stats")
    await expect(table).to_contain_text("Water and drains")
    await shot(page, "console-stats-en")
    await pick(page, "locale", "한국어")
    await expect(page.locator("[data-test=stats]")).to_contain_text("감독 및 통계")
    await shot(page, "console-stats-ko")
    await pick(page, "locale", "简体中文")

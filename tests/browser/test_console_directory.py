"""The community directory in Chromium against the real stack: an admin imports a sheet with one bad
row (the row's error is shown and nothing is applied), then the corrected sheet (households created,
shown with their care flags)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import Shot, WebStack
from tests.browser.console_helpers import api_as, sign_in

HEADER = "楼号,单元,楼层,房号,电梯,独居老人,残疾,低保\n"


async def test_admin_imports_a_bad_sheet_then_a_good_one(
    page: Page, web_stack: WebStack, shot: Shot, tmp_path: Path
) -> None:
    admin = web_stack.people["admin"]
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(HEADER + "21,1,3,301,是,是,否,否\n21,1,楼上,302,是,否,否,否\n", encoding="utf-8-sig")
    good.write_text(HEADER + "21,1,3,301,是,是,否,否\n21,1,3,302,是,否,否,是\n", encoding="utf-8-sig")

    await sign_in(page, admin, "/console/directory")
    await expect(page.locator("[data-test=directory]")).to_be_visible()
    await page.get_by_role("tab", name="导入名录（CSV / XLSX）").click()

    await page.locator("[data-test=import-file]").set_input_files(str(bad))
    await page.locator("[data-test=import-run]").click()
    errors = page.locator("[data-test=import-errors]")
    await expect(errors).to_be_visible()
    await expect(errors).to_contain_text("2")  # the second data row
    await expect(errors).to_contain_text("楼层")
    await expect(page.locator("[data-test=problem]")).to_be_visible()
    await shot(page, "console-directory-import-errors-zh-CN")
    async with api_as(web_stack, admin) as client:
        listed = (await client.get("/api/v1/community/households", params={"limit": 100})).json()["items"]
        assert not [h for h in listed if h["building"] == "21"], "a sheet with an error applied rows"

    await page.locator("[data-test=import-file]").set_input_files(str(good))
    await page.locator("[data-test=import-run]").click()
    await expect(page.locator("[data-test=import-result]")).to_contain_text("新增 2")
    await expect(errors).to_have_count(0)

    await page.get_by_role("tab", name="住户").first.click()
    households = page.locator("[data-test=households]")
    await expect(households).to_contain_text("302")
    await expect(households).to_contain_text("独居老人")
    await expect(households).to_contain_text("低保")
    await shot(page, "console-directory-zh-CN")

    async with page.expect_download() as downloading:
        await page.locator("[data-test=directory-export]").click()
    exported = (await (await downloading.value).path()).read_text(encoding="utf-8-sig")
    assert "楼号" in exported
    assert "302" in exported

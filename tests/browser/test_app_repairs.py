"""A resident reports a leaking radiator with a photo from the camera, follows the timeline, urges,
and confirms the repair, then rates it (issue 14). The heating company's steps (accept, assign,
start, resolve) go through the API as its manager and repairman."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser.app_support import Office, PhoneFactory, eventually, photo_jpeg, screens, sign_in, staff
from tests.browser.conftest import Shot, WebStack


async def test_a_resident_reports_a_leaking_radiator_with_a_photo_and_confirms_the_repair(
    web_stack: WebStack, office: Office, phones: PhoneFactory, shot: Shot
) -> None:
    resident = await office.register("孙阿姨")
    manager = await staff(office, "暖气公司王经理", "property_manager", "heating")
    repairman = await staff(office, "暖气师傅老周", "property_staff", "heating")

    page = await phones(None)
    await sign_in(page, resident)
    await page.locator("[data-test=tab-repairs]").click()
    await screens(page, shot, "repairs")
    await page.locator("[data-test=new-report]").click()
    await page.locator("[data-test=category-heating]").click()
    await page.locator("textarea[name=description]").fill("客厅暖气片漏水，地上有一滩水")
    await page.locator("input[name=building]").fill("6号楼")
    await page.locator("input[name=unit]").fill("2")
    await page.locator("input[name=room]").fill("502")
    await page.locator("[data-test=photos] input[type=file]").set_input_files(
        files=[{"name": "radiator.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}]
    )
    await expect(page.locator("[data-test=photos] .van-uploader__preview")).to_have_count(1)
    await screens(page, shot, "repair-new")
    await page.locator("[data-test=submit-report]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("已提交")
    await expect(page.locator("[data-test=photo-count]")).to_contain_text("1 张照片")
    report_id = page.url.rsplit("/", 1)[1]

    async def step(who: Any, action: str, body: dict[str, Any] | None = None) -> None:
        async def done() -> bool:
            answer = await office.call(who, "POST", f"/api/v1/reports/{report_id}/{action}", json=body)
            return answer.status_code == 200

        await eventually(done, f"{action} by the heating company (its staff projection may lag)")

    await step(manager, "accept")
    await step(manager, "assign", {"staff_id": repairman.id})
    await expect(page.locator("[data-test=status]")).to_have_text("已派工", timeout=15000)
    await expect(page.locator("[data-test=assignee]")).to_contain_text("老周")
    await page.locator("[data-test=urge]").click()
    await expect(page.locator("[data-test=notice]")).to_be_visible()
    await step(repairman, "start")
    await step(repairman, "resolve", {"note": "更换了暖气片阀门"})
    await expect(page.locator("[data-test=status]")).to_have_text("已修好，待确认", timeout=15000)
    await expect(page.locator("[data-test=timeline]")).to_contain_text("维修中")
    await screens(page, shot, "repair-resolved")

    await page.locator("[data-test=confirm]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("已完成")
    await page.locator("[data-test=rate-submit]").click()
    await expect(page.locator("[data-test=rated]")).to_contain_text("★★★★★")
    report = (await office.call(resident, "GET", f"/api/v1/reports/{report_id}")).json()
    assert report["status"] == "closed", report["status"]
    assert len(report["photos"]) == 1
    assert report["rating"]["overall"] == 5

"""The repair queue in Chromium against the real stack: a manager watches the queue, a resident's new
report appears live (notification stream), the manager accepts and assigns it to staff picked by name;
the staff member starts and resolves it with an after-photo; the manager files a report for a resident
who phoned (代客报修), recorded as such."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.async_api import Page, expect

from tests.browser.conftest import Shot, WebStack
from tests.browser.console_helpers import api_as, json_of, pick, sign_in, sign_out


def _photo(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 90)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


async def test_manager_assigns_a_live_report_staff_resolve_it_with_a_photo(
    page: Page, web_stack: WebStack, shot: Shot, tmp_path: Path
) -> None:
    manager, staff, resident = (web_stack.people[k] for k in ("manager", "staff", "resident"))
    await sign_in(page, manager, "/console/reports")
    queue = page.locator("[data-test=queue]")
    await expect(queue).to_be_visible()
    await expect(page.locator("[data-test=loading]")).to_have_count(0)

    # A resident reports; the open queue shows it without a reload.
    async with api_as(web_stack, resident) as client:
        report = json_of(
            await client.post(
                "/api/v1/reports",
                json={
                    "category": "stairwell_lighting",
                    "location": {"building": "7", "unit": "1", "area": "4F"},
                    "description": "7号楼4楼楼道灯不亮",
                },
                headers={"Idempotency-Key": "browser-queue-1"},
            )
        )
    row = page.locator(f"[data-test=queue-row][data-id='{report['id']}']")
    await expect(row).to_be_visible(timeout=15_000)
    await expect(page.locator("[data-test=bell] sup")).to_be_visible()
    await shot(page, "console-queue-zh-CN")

    # Filters narrow the list: another building hides it, its own shows it.
    await page.locator("[data-test=filter-building]").fill("99")
    await expect(row).to_have_count(0)
    await page.locator("[data-test=filter-building]").fill("7")
    await expect(row).to_be_visible()

    await row.click()
    detail = page.locator("[data-test=report-detail]")
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("待受理")
    await detail.locator("[data-test=action-accept]").click()
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("已受理")
    await detail.locator("[data-test=action-assign]").click()
    await pick(page, "pick-staff", staff.name)
    await page.locator("[data-test=confirm]").click()
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("已派单")
    await expect(detail.locator("[data-test=timeline]")).to_contain_text("派单")
    await shot(page, "console-report-detail-zh-CN")

    # 代客报修 for 王阿姨, who phoned.
    await page.keyboard.press("Escape")
    await page.locator("[data-test=file-on-behalf]").click()
    await page.locator("[data-test=on-behalf-resident] input").fill(resident.name)
    await page.locator(".el-select-dropdown__item:visible", has_text=resident.name).first.click()
    await pick(page, "on-behalf-category", "楼道照明")
    await page.locator("[data-test=on-behalf-building]").fill("3")
    await page.locator("[data-test=on-behalf-description]").fill("王阿姨来电：3号楼门厅灯坏了")
    await shot(page, "console-on-behalf-zh-CN")
    await page.locator("[data-test=on-behalf-submit]").click()
    await expect(detail.locator("[data-test=detail-office]")).to_be_visible()
    await expect(detail.locator("[data-test=timeline]")).to_contain_text("代客报修")
    await expect(detail).to_contain_text(resident.name)
    await page.keyboard.press("Escape")
    await expect(detail).to_have_count(0)
    await sign_out(page)

    # The staff member starts and resolves it with an after-photo.
    await sign_in(page, staff, f"/console/reports?report={report['id']}")
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("已派单")
    await detail.locator("[data-test=action-start]").click()
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("处理中")
    await detail.locator("[data-test=action-resolve]").click()
    await page.locator("[data-test=photo-input]").set_input_files(str(_photo(tmp_path / "after.jpg")))
    await expect(page.locator("[data-test=photo-drop]")).to_contain_text("after.jpg")
    await page.locator("[data-test=action-dialog] [data-test=note]").fill("已更换灯泡")
    await page.locator("[data-test=confirm]").click()
    await expect(detail.locator("[data-test=detail-status]")).to_have_text("已解决")
    await expect(detail.locator("[data-test=photos]")).to_contain_text("处理后")
    await expect(detail.locator("[data-test=photos] img")).to_have_count(1)
    await shot(page, "console-report-resolved-zh-CN")

"""The deliberation board in Chromium against the real stack: the committee approves a resident's
household claim (by name, in the directory), sets the support threshold, and takes the resident's
topic from collecting (one household's support) through screening and deliberation (minutes) to
decided."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, expect

from tests.browser.conftest import Shot, WebStack
from tests.browser.console_helpers import api_as, json_of, sign_in


async def test_a_deliberation_goes_from_collecting_to_decided(
    page: Page, web_stack: WebStack, shot: Shot
) -> None:
    admin, committee, resident = (web_stack.people[k] for k in ("admin", "committee", "resident"))
    async with api_as(web_stack, admin) as client:
        building = json_of(await client.post("/api/v1/community/buildings", json={"name": "23"}))
        json_of(
            await client.post(
                "/api/v1/community/households",
                json={"building_id": building["id"], "unit": "1", "room": "101"},
            )
        )
    async with api_as(web_stack, resident) as client:
        json_of(
            await client.post(
                "/api/v1/me/household-claims",
                json={"building": "23", "unit": "1", "room": "101", "real_name": "王秀英"},
            )
        )

    # The committee approves the claim, naming the applicant, then sets the threshold to one household.
    await sign_in(page, committee, "/console/directory")
    await page.get_by_role("tab", name="住户认证申请").click()
    claims = page.locator("[data-test=claims]")
    await expect(claims).to_contain_text(resident.name)
    await expect(claims).to_contain_text("王秀英")
    await shot(page, "console-directory-claims-zh-CN")
    await claims.get_by_role("button", name="通过").first.click()
    await expect(page.locator("[data-test=claims]")).to_have_count(0)

    await page.goto("/console/deliberations")
    threshold = page.locator("[data-test=policy-threshold] input")
    await threshold.fill("1")
    await threshold.press("Enter")
    async with page.expect_response(
        lambda r: r.url.endswith("/api/v1/forum/policy") and r.request.method == "PUT"
    ) as saving:
        await page.locator("[data-test=policy-save]").click()
    saved = await saving.value
    assert saved.ok, await saved.text()

    async with api_as(web_stack, resident) as client:
        topic = json_of(
            await client.post(
                "/api/v1/forum/deliberations",
                json={"title": "增设电动车充电桩", "body": "23号楼下增设充电桩，解决飞线充电。"},
            )
        )
        assert (topic["state"], topic["support_threshold"]) == ("collecting", 1), topic
        for _ in range(50):  # the forum learns the verified household from the gateway's event
            supported = await client.post(f"/api/v1/forum/deliberations/{topic['id']}/supports")
            if supported.status_code != 403:
                break
            await asyncio.sleep(0.2)
        assert supported.is_success, supported.text

    await page.locator("[data-test=deliberations-refresh]").click()
    card = page.locator("[data-test=topic]", has_text="增设电动车充电桩")
    await expect(page.locator("[data-state=screening]")).to_contain_text("增设电动车充电桩")
    await shot(page, "console-deliberations-zh-CN")
    await card.click()
    detail = page.locator("[data-test=topic-detail]")
    state = detail.locator("[data-test=topic-state]")
    await expect(state).to_have_text("审查中")
    await detail.locator("[data-test=screen-accept]").click()
    await expect(state).to_have_text("协商中")
    await detail.locator("[data-test=minutes-attendees] , [data-test=minutes-attendees] input").first.fill(
        "赵委员，王秀英，李经理"
    )
    await detail.locator("[data-test=minutes-conclusion]").fill("同意在23号楼下增设充电桩")
    await detail.locator("[data-test=record-minutes]").click()
    await expect(state).to_have_text("已决议")
    await expect(detail.locator("[data-test=minutes]")).to_contain_text("同意在23号楼下增设充电桩")
    await shot(page, "console-deliberation-decided-zh-CN")

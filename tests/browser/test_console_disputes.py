"""The dispute docket in Chromium against the real stack: a resident complains about a neighbour; the
mediator triages the case, proposes themself, keeps a mediator-only note, proposes terms (what, who,
by when), and once both parties have accepted (through the API, as the app would) monitors the
agreement to resolution."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import Person, Shot, WebStack
from tests.browser.console_helpers import api_as, json_of, pick, sign_in


async def _as_parties(web: WebStack, parties: list[Person], path: str) -> None:
    for person in parties:
        async with api_as(web, person) as client:
            json_of(await client.post(path))


async def test_a_mediator_takes_a_dispute_to_agreement(page: Page, web_stack: WebStack, shot: Shot) -> None:
    mediator, resident, neighbour = (web_stack.people[k] for k in ("mediator", "resident", "neighbour"))
    async with api_as(web_stack, resident) as client:
        dispute = json_of(
            await client.post(
                "/api/v1/forum/disputes",
                json={"parties": [neighbour.id], "summary": "楼上深夜装修噪音"},
            )
        )
    path = f"/api/v1/forum/disputes/{dispute['id']}"

    await sign_in(page, mediator, "/console/disputes")
    await page.locator("[data-test=dispute-row]", has_text="楼上深夜装修噪音").first.click()
    detail = page.locator("[data-test=dispute-detail]")
    state = detail.locator("[data-test=dispute-state]")
    await expect(state).to_have_text("已上报")
    await detail.locator("[data-test=triage]").click()
    await expect(state).to_have_text("已分流")
    await pick(page, "pick-mediator", mediator.name)
    await detail.locator("[data-test=propose-mediator]").click()
    await expect(state).to_have_text("待确认调解员")

    await _as_parties(web_stack, [resident, neighbour], f"{path}/mediator/accept")
    await page.locator("[data-test=dispute-row]", has_text="楼上深夜装修噪音").first.click()
    await expect(state).to_have_text("调解中")
    await expect(detail.locator("[data-test=parties]")).to_contain_text(neighbour.name)

    await detail.locator("[data-test=note-body]").fill("双方同意晚上十点后停工")
    await detail.locator("[data-test=add-note]").click()
    await expect(detail.locator("[data-test=notes]")).to_contain_text("晚上十点后停工")

    await detail.locator("[data-test=term-what]").fill("晚上十点后不再施工")
    await pick(page, "term-who", neighbour.name)
    by = detail.locator("input[data-test=term-by], [data-test=term-by] input").first
    await by.fill("2030-01-31")
    await by.press("Enter")
    await shot(page, "console-dispute-zh-CN")
    await detail.locator("[data-test=propose-terms]").click()
    await expect(state).to_have_text("待确认协议")
    await expect(detail.locator("[data-test=terms]")).to_contain_text("晚上十点后不再施工")

    await _as_parties(web_stack, [resident, neighbour], f"{path}/agreement/accept")
    await page.locator("[data-test=dispute-row]", has_text="楼上深夜装修噪音").first.click()
    await expect(state).to_have_text("已达成协议")
    await detail.locator("[data-test=start-monitoring]").click()
    await expect(state).to_have_text("回访中")
    await detail.locator("[data-test=check-in-passed]").click()
    await expect(state).to_have_text("已解决")
    await shot(page, "console-dispute-resolved-zh-CN")

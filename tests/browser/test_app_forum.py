"""The forum in the app (issue 14): a neighbour posts with an @mention found by name, another finds it
by a Chinese search, likes and flags it; a deliberation where two members of one household support
and vote — the household counts once and the second member is told so (409
household_already_counted, in Chinese)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.app_support import Office, PhoneFactory, eventually, screens, sign_in
from tests.browser.conftest import Shot, WebStack


async def test_posting_with_a_mention_searching_liking_and_flagging(
    web_stack: WebStack, office: Office, phones: PhoneFactory, shot: Shot
) -> None:
    author, reader = await office.register("周大姐"), await office.register("吴邻居")
    page = await phones(None)
    await sign_in(page, author)
    await page.locator("[data-test=tab-forum]").click()
    await page.locator("[data-test=new-thread]").click()
    await page.locator("[data-test=board-mutual_help]").click()
    await page.locator("input[name=title]").fill("谁家有梯子借用一下")
    await page.locator("textarea[name=body]").fill("想换楼道灯泡，需要人字梯，用完马上还。")
    await page.locator("input[name=mention_q]").fill("吴邻")
    await page.locator("[data-test=mention-search]").click()
    await expect(page.locator("[data-test=mention]")).to_contain_text("@吴邻居")
    await page.locator("[data-test=mention-pick]").filter(has_text="吴邻居").click()
    body = page.locator("textarea[name=body]")
    await expect(body).to_have_value("想换楼道灯泡，需要人字梯，用完马上还。 @吴邻居 ")
    await screens(page, shot, "forum-new")
    await page.locator("[data-test=post-thread]").click()
    await expect(page.locator("[data-test=post]").first).to_contain_text("@吴邻居")

    other = await phones(None)
    await sign_in(other, reader)
    await other.locator("[data-test=tab-forum]").click()
    await other.locator("input[name=q]").fill("梯子")
    await other.locator("[data-test=search-go]").click()
    await expect(other.locator("[data-test=thread-row]")).to_have_count(1)
    await expect(other.locator("[data-test=thread-row]")).to_contain_text("谁家有梯子借用一下")
    await screens(other, shot, "forum")
    await other.locator("[data-test=thread-row]").click()
    await other.locator("[data-test=like]").first.click()
    await expect(other.locator("[data-test=like]").first).to_have_text("已赞 1")
    await other.locator("[data-test=flag]").first.click()
    await other.locator("[data-test=flag-submit]").click()
    # A first-day account may not flag yet (trust level 0): the forum says so in Chinese.
    flagged_or_refused = other.locator("[data-test=flagged], [data-test=problem]")
    await expect(flagged_or_refused.first).to_be_visible()
    await screens(other, shot, "forum-thread")


async def test_two_members_of_one_household_vote_once(
    web_stack: WebStack, office: Office, phones: PhoneFactory, shot: Shot
) -> None:
    husband, wife, neighbour = (
        await office.register("陈先生"),
        await office.register("陈太太"),
        await office.register("林老师"),
    )
    await office.household("8号楼", "1", "101")
    await office.household("8号楼", "1", "102")
    await office.claim(husband, "8号楼", "1", "101")
    await office.claim(wife, "8号楼", "1", "101")
    await office.claim(neighbour, "8号楼", "1", "102")
    await office.approve_claims()
    admin = web_stack.people["admin"]
    policy = await office.call(
        admin,
        "PUT",
        "/api/v1/forum/policy",
        json={"support_threshold": 2, "window_days": 14, "quorum_households": 1, "pass_ratio": 0.5},
    )
    assert policy.status_code == 200, policy.text

    async def forum_knows_households() -> bool:
        for person in (husband, wife, neighbour):
            me = await office.call(person, "GET", "/api/v1/forum/me")
            if not me.json().get("household_id"):
                return False
        return True

    await eventually(forum_knows_households, "forum's household projection")

    his, hers = await phones(None), await phones(None)
    await sign_in(his, husband)
    await his.locator("[data-test=tab-forum]").click()
    await his.locator("[data-test=new-thread]").click()
    await his.locator("[data-test=board-deliberation]").click()
    await his.locator("input[name=title]").fill("8号楼加装电梯")
    await his.locator("textarea[name=body]").fill("楼里老人多，上下楼困难，提议加装电梯。")
    await his.locator("[data-test=post-thread]").click()
    await expect(his.locator("[data-test=state]")).to_have_text("征集支持")
    topic = his.url.rsplit("/", 1)[1]

    await sign_in(hers, wife, f"/app/forum/deliberations/{topic}")
    await expect(hers.locator("[data-test=support]")).to_be_visible()
    await his.locator("[data-test=support]").click()
    await expect(his.locator("[data-test=supported]")).to_be_visible()
    await hers.locator("[data-test=support]").click()  # her page still offers it: the household counted
    refused = hers.locator("[data-test=problem]")
    await expect(refused).to_have_attribute("data-code", "household_already_counted")
    await expect(hers.locator("[data-test=problem]")).to_contain_text("本户已经算过了")
    await expect(hers.locator("[data-test=supports]")).to_contain_text("已有 1 户支持")
    await screens(hers, shot, "forum-deliberation")

    supported = await office.call(neighbour, "POST", f"/api/v1/forum/deliberations/{topic}/supports")
    assert supported.status_code == 200, supported.text
    assert supported.json()["state"] == "screening"
    screened = await office.call(
        admin, "POST", f"/api/v1/forum/deliberations/{topic}/screening", json={"decision": "accept"}
    )
    assert screened.status_code == 200, screened.text
    minutes = await office.call(
        admin,
        "POST",
        f"/api/v1/forum/deliberations/{topic}/minutes",
        json={"attendees": ["业委会", "8号楼住户"], "conclusion": "付诸表决", "next": "voting"},
    )
    assert minutes.status_code == 200, minutes.text

    await his.reload()
    await hers.reload()
    await expect(hers.locator("[data-test=vote-yes]")).to_be_visible()
    await his.locator("[data-test=vote-yes]").click()
    await expect(his.locator("[data-test=voted]")).to_contain_text("赞成")
    await hers.locator("[data-test=vote-no]").click()
    refused = hers.locator("[data-test=problem]")
    await expect(refused).to_have_attribute("data-code", "household_already_counted")
    await expect(hers.locator("[data-test=tally]")).to_contain_text("赞成 1 · 反对 0")
    await screens(hers, shot, "forum-vote")
    tally = (await office.call(admin, "GET", f"/api/v1/forum/deliberations/{topic}")).json()["votes"]
    assert tally == {"yes": 1, "no": 0, "abstain": 0}

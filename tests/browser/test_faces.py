"""The two faces in Debian's Chromium against the real stack: sign in as a seeded person in zh-CN and
reach the shell; the app in large-text mode on a 360×640 phone (body >= 18 px, targets >= 44 px)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Shot, WebStack


async def test_console_sign_in_reaches_the_role_aware_shell(
    page: Page, web_stack: WebStack, shot: Shot
) -> None:
    manager = web_stack.people["manager"]
    await page.goto("/console/nowhere?status=new")  # a deep link, before signing in
    await expect(page).to_have_url(f"{web_stack.base_url}/console/sign-in?next=/nowhere?status=new")
    await expect(page.get_by_role("heading", name="登录物业工作台")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    await shot(page, "console-sign-in-zh-CN")

    # A wrong password: the gateway's localised problem, shown as it came.
    await page.locator("input[name=phone]").fill(manager.phone)
    await page.locator("input[name=password]").fill("wrong-password")
    await page.locator("[data-test=submit]").click()
    await expect(page.locator("[data-test=problem]")).to_contain_text("密码")

    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("[data-test=submit]").click()
    shell = page.locator("[data-test=shell]")
    await expect(shell).to_be_visible()
    await expect(page.locator("[data-test=who]")).to_have_text(manager.name)
    await expect(shell).to_contain_text("物业经理")
    await expect(page.locator("[data-test=nav]")).to_contain_text("首页")
    await expect(page.locator("[data-test=bell]")).to_be_visible()
    # /nowhere is no screen: the shell's own not-found page, not a blank one.
    await expect(page.locator("[data-test=not-found]")).to_be_visible()
    await page.locator("[data-test=nav]").get_by_text("首页").click()
    await expect(page.locator("[data-test=home]")).to_contain_text(f"{manager.name}，您好")
    await shot(page, "console-shell-zh-CN")

    # A reload keeps the session (tokens in storage), and sign-out ends it.
    await page.reload()
    await expect(page.locator("[data-test=home]")).to_be_visible()
    await page.locator("[data-test=sign-out]").click()
    await expect(page.get_by_role("heading", name="登录物业工作台")).to_be_visible()


async def test_console_refuses_a_resident(page: Page, web_stack: WebStack) -> None:
    resident = web_stack.people["resident"]
    await page.goto("/console/")
    await page.locator("input[name=phone]").fill(resident.phone)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("[data-test=submit]").click()
    await expect(page.locator("[data-test=no-access]")).to_be_visible()
    await expect(page.locator("[data-test=shell]")).to_have_count(0)


TARGETS = ".van-button, .van-tabbar-item, .van-cell, .van-field__control, .van-switch, a, button, input"


async def _too_small(page: Page) -> list[str]:
    """Visible touch targets under 44 px high, as `tag.class: h` (a switch: its 44 px row counts)."""
    return list(
        await page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter((el) => el.offsetParent !== null)
                .map((el) => {
                    const target = el.classList.contains('van-switch') ? el.closest('.van-cell') ?? el : el;
                    return [el, target.getBoundingClientRect()];
                })
                .filter(([el, box]) => box.height < 44 || box.width < 44)
                .map(([el, box]) =>
                    `${el.tagName.toLowerCase()}.${el.className}: ${box.width}x${box.height}`)""",
            TARGETS,
        )
    )


async def _font_size(page: Page, selector: str) -> float:
    return float(
        await page.locator(selector).first.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    )


async def test_app_in_large_text_mode_on_a_phone(phone_page: Page, web_stack: WebStack, shot: Shot) -> None:
    page = phone_page
    resident = web_stack.people["resident"]
    await page.goto("/app/")
    await expect(page.get_by_role("heading", name="欢迎来到微邻里")).to_be_visible()
    assert await _font_size(page, "body") < 18  # normal mode first
    await shot(page, "app-sign-in-zh-CN")

    await page.locator("[data-test=large-text]").click()
    await expect(page.locator("html")).to_have_class("large-text")
    assert await _font_size(page, "body") >= 18
    assert await _font_size(page, ".van-cell__title") >= 18
    assert await _too_small(page) == []
    await shot(page, "app-sign-in-large-text-zh-CN")

    await page.locator("input[name=phone]").fill(resident.phone)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("[data-test=submit]").click()
    await expect(page.locator("[data-test=shell]")).to_be_visible()
    await expect(page.locator("[data-test=home]")).to_contain_text(f"{resident.name}，您好")
    await expect(page.locator("[data-test=tabbar]")).to_contain_text("我的")
    assert await _font_size(page, "[data-test=home] p") >= 18
    assert await _font_size(page, ".van-tabbar-item") >= 16  # the tab labels under 26 px icons
    assert await _too_small(page) == []
    await shot(page, "app-home-large-text-zh-CN")

    # The choice is kept: a reload (or the next visit) is still in large text.
    await page.reload()
    await expect(page.locator("[data-test=home]")).to_be_visible()
    await expect(page.locator("html")).to_have_class("large-text")
    await page.locator("[data-test=tabbar]").get_by_text("我的").click()
    await expect(page.locator("[data-test=sign-out]")).to_be_visible()
    assert await _too_small(page) == []
    await shot(page, "app-me-large-text-zh-CN")

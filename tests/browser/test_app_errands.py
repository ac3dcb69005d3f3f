"""The app's errand journeys on 360×640 phones against the real stack (issue 14):

- a daughter orders a meal for her mother (an elderly-alone household) — the itemised quote, the order
  confirmed through a dropped connection (Playwright aborts the first answer; the app retries with the
  same Idempotency-Key and exactly one order exists) — and follows it live;
- a neighbour applies to run errands, is approved by the office (API), goes online with the phone's
  location (WGS-84 converted to GCJ-02: the order sits 0 m from the converted point and ~500 m from
  the raw one, so only a converted position sees it), sees it first and marked, accepts it, arrives,
  picks up, delivers with the recipient's code and a proof photo;
- the daughter sees the courier's name and level, confirms, rates and tips;
- cancelling shows the fee first.
"""

from __future__ import annotations

import uuid

from playwright.async_api import Route, expect

from tests.browser.app_support import (
    HOME_WGS84,
    Office,
    PhoneFactory,
    eventually,
    photo_jpeg,
    screens,
    sign_in,
    wgs84_to_gcj02,
)
from tests.browser.conftest import Shot, WebStack

GCJ = wgs84_to_gcj02(*HOME_WGS84)


async def test_a_daughter_orders_a_meal_for_her_mother_and_a_courier_delivers_it(
    web_stack: WebStack, office: Office, phones: PhoneFactory, shot: Shot
) -> None:
    # The office's part: the mother's flat (elderly-alone), her verified claim, a noodle shop nearby.
    mother, daughter, runner = (
        await office.register("张奶奶"),
        await office.register("张女儿"),
        await office.register("刘师傅"),
    )
    household = await office.household("3号楼", "1", "301", elderly_alone=True)
    await office.claim(mother, "3号楼", "1", "301")
    await office.approve_claims()
    shop = await office.call(
        web_stack.people["admin"],
        "POST",
        "/api/v1/errand/merchants",
        json={
            "name": "老王面馆",
            "category": "restaurant",
            "address": "社区北门",
            "lat": GCJ[0],
            "lng": GCJ[1],
        },
    )
    assert shop.status_code == 201, shop.text

    async def errand_knows_the_household() -> bool:
        quoted = await office.call(
            daughter,
            "POST",
            "/api/v1/errand/quotes",
            json={
                "type": "deliver",
                "pickup": {"building": "1", "lat": GCJ[0], "lng": GCJ[1]},
                "dropoff": {"building": "3号楼", "lat": GCJ[0], "lng": GCJ[1]},
                "recipient": {"name": "x", "phone": "13800000000", "household_id": household},
            },
        )
        return quoted.status_code == 201

    await eventually(errand_knows_the_household, "errand's projection of the verified household")

    # -- the daughter orders -----------------------------------------------------------------------
    page = await phones()
    await sign_in(page, daughter)
    await screens(page, shot, "home")
    await page.locator("[data-test=order-buy]").click()
    await expect(page.locator("[data-test=located]")).to_be_visible()
    await page.locator("[data-test=for-family]").click()
    await page.locator("input[name=recipient_name]").fill("张奶奶")
    await page.locator("input[name=recipient_phone]").fill(mother.phone)
    await page.locator("input[name=recipient_household]").fill(household)
    await page.locator("input[name=building]").fill("3号楼")
    await page.locator("input[name=unit]").fill("1")
    await page.locator("input[name=room]").fill("301")
    await page.locator("textarea[name=items]").fill("青菜肉丝面 一碗\n茶叶蛋 两个")
    await page.locator("[data-test=get-quote]").click()
    quote = page.locator("[data-test=quote]")
    await expect(quote).to_contain_text("起步价")
    await expect(page.locator("[data-test=quote-total]")).to_contain_text("¥")
    await screens(page, shot, "errand-quote")

    # The first answer to "create the order" is lost on the way back (the server did create it).
    keys: list[str] = []
    dropped = False

    async def drop_first_answer(route: Route) -> None:
        nonlocal dropped
        keys.append(route.request.headers.get("idempotency-key", ""))
        if not dropped:
            dropped = True
            await route.fetch()  # reaches the server, which creates the order
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route("**/api/v1/errand/orders", drop_first_answer)
    await page.locator("[data-test=confirm-order]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("等人接单")
    await page.unroute("**/api/v1/errand/orders")
    assert len(keys) == 2, keys
    assert keys[0] == keys[1] != "", keys
    mine = await office.call(daughter, "GET", "/api/v1/errand/orders", params={"as": "requester"})
    assert len(mine.json()["items"]) == 1, "a retried confirmation created a second order"
    order_id = page.url.rsplit("/", 1)[1]
    code = (await page.locator("[data-test=delivery-code]").inner_text()).strip()
    assert len(code) == 4
    await screens(page, shot, "errand-order")

    # -- the courier applies, is approved, goes online -----------------------------------------------
    courier = await phones()
    await sign_in(courier, runner)
    await courier.locator("[data-test=tab-me]").click()
    await courier.locator("[data-test=to-courier-apply]").click()
    await courier.locator("input[name=real_name]").fill("刘建国")
    await courier.locator("input[name=id_last4]").fill("1234")
    await courier.locator("[data-test=apply-submit]").click()
    await expect(courier.locator("[data-test=courier-status]")).to_contain_text("审核中")
    await office.approve_courier_applications()

    async def errand_knows_the_courier() -> bool:
        answer = await office.call(runner, "PUT", "/api/v1/errand/courier/presence", json={"online": False})
        return answer.status_code == 200

    await eventually(errand_knows_the_courier, "errand's courier profile from gateway.role.granted.v1")
    await courier.goto("/app/courier")
    await expect(courier.locator("[data-test=tab-courier]")).to_be_visible()
    async with courier.expect_response(
        lambda r: r.url.endswith("/courier/presence") and r.request.method == "PUT"
    ) as presence_answer:
        await courier.locator("[data-test=go-online]").click()
    sent = await (await presence_answer.value).json()  # the position as the server stored it
    assert sent["online"] is True
    assert abs(sent["lat"] - GCJ[0]) < 1e-6, sent  # GCJ-02, not WGS-84
    assert abs(sent["lng"] - GCJ[1]) < 1e-6, sent
    card = courier.locator("[data-test=feed-card]").first
    await expect(card).to_contain_text("帮买")
    await expect(card.locator("[data-test=priority]")).to_have_text("关爱优先")
    await screens(courier, shot, "courier-feed")
    await card.locator("[data-test=accept]").click()

    await expect(courier.locator("[data-test=status]")).to_have_text("已接单")
    await expect(courier.locator("[data-test=dropoff]")).to_contain_text("301")
    await screens(courier, shot, "courier-job")
    await courier.locator("[data-test=arrive]").click()
    await expect(courier.locator("[data-test=status]")).to_have_text("已到取货点")
    await courier.locator("[data-test=pickup]").click()
    await expect(courier.locator("[data-test=status]")).to_have_text("已取货，送货中")

    # The daughter sees the courier, live: name and level.
    await expect(page.locator("[data-test=status]")).to_have_text("已取货，送货中", timeout=15000)
    await expect(page.locator("[data-test=courier]")).to_contain_text("刘师傅")
    await expect(page.locator("[data-test=courier]")).to_contain_text("·")

    # A wrong code is refused (the server's localised problem); the right one with a photo delivers.
    await courier.locator("input[name=delivery_code]").fill("0000" if code != "0000" else "1111")
    await courier.locator("[data-test=deliver]").click()
    await expect(courier.locator("[data-test=problem]")).to_be_visible()
    await courier.locator("input[name=delivery_code]").fill(code)
    await courier.locator("[data-test=proof-photo] input[type=file]").set_input_files(
        files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}]
    )
    await expect(courier.locator("[data-test=proof-photo] .van-uploader__preview")).to_have_count(1)
    await screens(courier, shot, "courier-deliver")
    await courier.locator("[data-test=deliver]").click()
    await expect(courier.locator("[data-test=status]")).to_have_text("已送达")
    proof = await office.call(runner, "GET", f"/api/v1/errand/orders/{order_id}/proof-photo")
    assert proof.status_code == 200, proof.text
    assert proof.headers["content-type"].startswith("image/")

    # -- the daughter confirms, rates, tips --------------------------------------------------------------
    await expect(page.locator("[data-test=status]")).to_have_text("已送达", timeout=15000)
    await page.locator("[data-test=confirm-received]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("已完成")
    await page.locator("[data-test=rate-submit]").click()
    await expect(page.locator("[data-test=rated]")).to_contain_text("★★★★★")
    await page.locator("[data-test=tip-submit]").click()
    await expect(page.locator("[data-test=order-total]")).not_to_have_text("")
    done = (await office.call(daughter, "GET", f"/api/v1/errand/orders/{order_id}")).json()
    assert (done["status"], done["rating"]["stars"], done["tip_fen"]) == ("completed", 5, 200), done
    await screens(page, shot, "errand-done")

    # The courier's record: level, points, earnings by day and month.
    await courier.goto("/app/courier")
    await courier.get_by_role("tab", name="积分收入").click()
    await expect(courier.locator("[data-test=level]")).not_to_be_empty()
    await expect(courier.locator("[data-test=earnings-day]")).to_contain_text("1 单")
    await expect(courier.locator("[data-test=earnings-month]")).to_contain_text("¥")
    await screens(courier, shot, "courier-record")


async def test_cancelling_shows_the_fee_first(
    web_stack: WebStack, office: Office, phones: PhoneFactory
) -> None:
    resident = await office.register("赵大爷")
    page = await phones()
    await sign_in(page, resident)
    await page.locator("[data-test=order-deliver]").click()
    await expect(page.locator("[data-test=located]")).to_be_visible()
    await page.locator("input[name=building]").fill("5号楼")
    await page.locator("input[name=pickup_building]").fill("2号楼")
    await page.locator("textarea[name=items]").fill("一把雨伞")
    await page.locator("[data-test=get-quote]").click()
    await page.locator("[data-test=confirm-order]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("等人接单")
    await page.locator("[data-test=cancel]").click()
    await expect(page.locator("[data-test=cancel-fee]")).to_have_text("¥0.00")
    await page.locator("[data-test=cancel-confirm]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("已取消")


async def test_every_errand_type_gets_an_itemised_quote(
    web_stack: WebStack, office: Office, phones: PhoneFactory
) -> None:
    """Each type's form asks what the type needs and the real service prices it (no order placed)."""
    resident = await office.register("钱叔叔")
    shop = await office.call(
        web_stack.people["admin"],
        "POST",
        "/api/v1/errand/merchants",
        json={"name": "便民超市", "category": "supermarket", "address": "南门", "lat": GCJ[0], "lng": GCJ[1]},
    )
    assert shop.status_code == 201, shop.text
    page = await phones()
    await sign_in(page, resident)
    fills = {
        "buy": {"textarea[name=items]": "牛奶 两盒"},
        "deliver": {"input[name=pickup_building]": "2号楼", "textarea[name=items]": "钥匙"},
        "pickup_parcel": {"input[name=pickup_building]": "菜鸟驿站", "input[name=parcel_code]": "5-2-1107"},
        "pay_bill": {"input[name=bill_account]": "0012345678"},
        "queue": {"input[name=pickup_building]": "社区医院"},
        "home_service": {"input[name=service_kind]": "修水龙头", "input[name=slot_date]": "2099-01-01"},
    }
    for order_type, fields in fills.items():
        await page.goto(f"/app/errand/new/{order_type}")
        await expect(page.locator("[data-test=located]")).to_be_visible()
        await page.locator("input[name=building]").fill("4号楼")
        for selector, value in fields.items():
            await page.locator(selector).fill(value)
        if order_type == "home_service":  # a slot within the week the service takes
            tomorrow = await page.evaluate("new Date(Date.now() + 86400000).toLocaleDateString('sv-SE')")
            await page.locator("input[name=slot_date]").fill(tomorrow)
        await page.locator("[data-test=get-quote]").click()
        await expect(page.locator("[data-test=quote]"), order_type).to_contain_text("起步价")
        await expect(page.locator("[data-test=problem]")).to_have_count(0)


async def test_a_courier_gives_an_order_back_then_fails_one_with_a_reason(
    web_stack: WebStack, office: Office, phones: PhoneFactory
) -> None:
    resident, runner = await office.register("郑阿姨"), await office.register("马师傅")
    applied = await office.call(
        runner,
        "POST",
        "/api/v1/me/courier-application",
        json={"real_name": "马强", "id_number_last4": "4321"},
    )
    assert applied.status_code == 201, applied.text
    await office.approve_courier_applications()

    async def errand_knows_the_courier() -> bool:
        answer = await office.call(runner, "PUT", "/api/v1/errand/courier/presence", json={"online": False})
        return answer.status_code == 200

    await eventually(errand_knows_the_courier, "errand's courier profile")
    quote = await office.call(
        resident,
        "POST",
        "/api/v1/errand/quotes",
        json={
            "type": "deliver",
            "pickup": {"building": "1号楼", "lat": GCJ[0], "lng": GCJ[1]},
            "dropoff": {"building": "9号楼", "lat": GCJ[0], "lng": GCJ[1]},
            "items": ["一袋米"],
        },
    )
    assert quote.status_code == 201, quote.text
    order = await office.call(
        resident,
        "POST",
        "/api/v1/errand/orders",
        json={"quote_id": quote.json()["quote_id"]},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text

    page = await phones()
    await sign_in(page, runner, "/app/courier")
    await page.locator("[data-test=go-online]").click()
    await page.locator("[data-test=feed-card]").first.locator("[data-test=accept]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("已接单")
    await page.locator("[data-test=release]").click()  # given back: to the feed again
    await expect(page.locator("[data-test=go-online]")).to_be_visible()
    await page.locator("[data-test=go-online]").click()
    await page.locator("[data-test=feed-card]").first.locator("[data-test=accept]").click()
    await page.locator("[data-test=arrive]").click()
    await page.locator("[data-test=pickup]").click()
    await page.locator("input[name=fail_reason]").fill("米店关门了")
    await page.locator("[data-test=fail]").click()
    await expect(page.locator("[data-test=status]")).to_have_text("未能完成")
    failed = (await office.call(resident, "GET", f"/api/v1/errand/orders/{order.json()['id']}")).json()
    assert (failed["status"], failed["fail_reason"]) == ("failed", "米店关门了")

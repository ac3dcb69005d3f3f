"""Errands' money from errand's events: cancellation fee as quoted and the rest refunded through
WeChat Pay (refund answer, refund callback, sweep), full refund of an expired order, settlement to
the courier, a late tip straight to the courier, late money for an ended order refunded; the ledger
balances after each and the courier reads their own account."""

from __future__ import annotations

import uuid

from contracts import OrderCancelledV1, OrderCompletedV1, OrderExpiredV1, OrderSettledV1
from tests.payments.helpers import NOTIFY, REFUND_NOTIFY, Community, EventTap, Person, Service


async def _cancel(
    community: Community, order_id: uuid.UUID, payer: Person, courier: Person | None, fee: int
) -> None:
    await community.service.deliver(
        OrderCancelledV1(
            community_id=community.id,
            order_id=order_id,
            requester_id=payer.id,
            courier_id=courier.id if courier else None,
            order_type="buy",
            price_fen=800,
            from_status="accepted" if courier else "dispatching",
            cancel_fee_fen=fee,
        )
    )


async def test_cancelled_after_accept_pays_the_fee_to_the_courier_and_refunds_the_rest(
    service: Service, community: Community
) -> None:
    payer, courier = community.resident(), community.person("courier")
    order_id = await community.order(payer)
    payment = await community.paid(payer, order_id)
    await community.accept(order_id, payer, courier)
    async with EventTap(service) as tap:
        await _cancel(community, order_id, payer, courier, fee=200)
        assert await service.balance(community.id, "courier", courier.id) == 200
        refunds = await service.sql("SELECT out_refund_no, amount_fen, status FROM refunds")
        mine = [row for row in refunds if row[1] == 800 and row[2] == "pending"]
        assert len(mine) == 1
        out_refund_no = mine[0][0]
        view = (await service.client.get(f"/api/v1/payments/{payment['id']}", headers=payer.headers)).json()
        assert view["status"] == "refunding"
        result = await service.run_sweep()
        assert result.refunds_sent >= 1
        assert service.wechat.refunds[out_refund_no].amount == 800  # asked at WeChat Pay, signed
        service.wechat.settle_refund(out_refund_no)
        callback = service.wechat.refund_callback(out_refund_no)
        for _ in range(2):  # the replay books nothing more
            assert (await service.wechat.post(service.client, REFUND_NOTIFY, callback)).status_code == 204
        events = await tap.collect(
            lambda got: any(e["event_type"] == "payments.refund.succeeded.v1" for e in got)
        )
    view = (await service.client.get(f"/api/v1/payments/{payment['id']}", headers=payer.headers)).json()
    assert view["status"] == "paid"  # partly refunded: the fee stays paid
    assert [(r["amount_fen"], r["status"]) for r in view["refunds"]] == [(800, "succeeded")]
    assert await service.balance(community.id, "escrow", order_id) == 0
    assert await service.balance(community.id, "resident", payer.id) == 0
    assert await service.trial_balance() == 0
    refunded = [e for e in events if e["event_type"] == "payments.refund.succeeded.v1"]
    assert len(refunded) == 1
    assert refunded[0]["payload"]["refund_fen"] == 800
    assert refunded[0]["payload"]["reason"] == "order_cancelled"
    own = await service.client.get("/api/v1/payments/ledger", headers=courier.headers)
    assert own.json()["account"] == "courier"
    assert own.json()["balance_fen"] == 200
    assert [item["kind"] for item in own.json()["items"]] == ["cancel_fee"]


async def test_an_expired_order_is_refunded_in_full(service: Service, community: Community) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    payment = await community.paid(payer, order_id)
    service.wechat.refunds_succeed_at_once = True
    await service.deliver(
        OrderExpiredV1(
            community_id=community.id,
            order_id=order_id,
            requester_id=payer.id,
            order_type="buy",
            price_fen=800,
        )
    )
    await service.run_sweep()
    view = (await service.client.get(f"/api/v1/payments/{payment['id']}", headers=payer.headers)).json()
    assert view["status"] == "refunded"
    assert view["refunds"][0]["amount_fen"] == 1000
    assert await service.balance(community.id, "escrow", order_id) == 0
    assert await service.balance(community.id, "platform", community.id) == 0
    assert await service.trial_balance() == 0
    # The event delivered again (a new event id) refunds nothing more.
    await service.deliver(
        OrderExpiredV1(
            community_id=community.id,
            order_id=order_id,
            requester_id=payer.id,
            order_type="buy",
            price_fen=800,
        )
    )
    rows = await service.sql(
        "SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.ref_id = :r",
        r=order_id,
    )
    assert rows[0][0] == 1


async def test_settlement_credits_the_courier_and_a_late_tip_follows(
    service: Service, community: Community
) -> None:
    payer, courier = community.resident(), community.person("courier")
    order_id = await community.order(payer, price_fen=800, tip_fen=200)
    await community.paid(payer, order_id)
    await community.accept(order_id, payer, courier)
    await service.deliver(
        OrderCompletedV1(
            community_id=community.id,
            order_id=order_id,
            requester_id=payer.id,
            courier_id=courier.id,
            order_type="buy",
            price_fen=800,
            tip_fen=500,  # 300 more given after ordering
            completion="confirmed",
        )
    )
    settled = OrderSettledV1(
        community_id=community.id,
        order_id=order_id,
        requester_id=payer.id,
        courier_id=courier.id,
        order_type="buy",
        price_fen=800,
        tip_fen=500,
        paid_fen=1000,
        courier_earnings_fen=920,
        platform_fee_fen=80,
    )
    await service.deliver(settled)
    await service.deliver(settled)  # redelivered under a new envelope: booked once (ledger ref)
    assert await service.balance(community.id, "courier", courier.id) == 920
    assert await service.balance(community.id, "platform", community.id) == 80
    assert await service.balance(community.id, "escrow", order_id) == 0
    tip = await community.pay_intent(payer, order_id, purpose="tip")
    assert tip.json()["amount_fen"] == 300
    no = uuid.UUID(tip.json()["id"]).hex
    service.wechat.pay(no)
    assert (
        await service.wechat.post(service.client, NOTIFY, service.wechat.payment_callback(no))
    ).status_code == 204
    assert await service.balance(community.id, "courier", courier.id) == 1220
    assert await service.balance(community.id, "escrow", order_id) == 0
    assert await service.trial_balance() == 0
    own = (await service.client.get("/api/v1/payments/ledger?limit=1", headers=courier.headers)).json()
    assert own["balance_fen"] == 1220
    assert len(own["items"]) == 1
    assert own["next_cursor"]
    rest = (
        await service.client.get(
            f"/api/v1/payments/ledger?limit=5&cursor={own['next_cursor']}", headers=courier.headers
        )
    ).json()
    assert sum(item["amount_fen"] for item in own["items"] + rest["items"]) == 1220


async def test_money_arriving_after_the_order_ended_goes_back(service: Service, community: Community) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    created = await community.pay_intent(payer, order_id)
    await _cancel(community, order_id, payer, None, fee=0)
    no = uuid.UUID(created.json()["id"]).hex
    service.wechat.pay(no)  # the payer confirmed in WeChat just before the cancellation
    assert (
        await service.wechat.post(service.client, NOTIFY, service.wechat.payment_callback(no))
    ).status_code == 204
    rows = await service.sql(
        "SELECT amount_fen, reason FROM refunds WHERE payment_id = :p", p=uuid.UUID(created.json()["id"])
    )
    assert [(row[0], row[1]) for row in rows] == [(1000, "order_cancelled")]
    assert await service.trial_balance() == 0


async def test_a_cancelled_order_cannot_be_paid(service: Service, community: Community) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    await _cancel(community, order_id, payer, None, fee=0)
    answer = await community.pay_intent(payer, order_id, **{"Accept-Language": "ko"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "payment_not_payable_now"
    assert answer.headers["content-language"] == "ko"


async def test_only_couriers_read_a_courier_account(service: Service, community: Community) -> None:
    resident = community.resident()
    assert (
        await service.client.get("/api/v1/payments/ledger?as=courier", headers=resident.headers)
    ).status_code == 403
    own = await service.client.get("/api/v1/payments/ledger", headers=resident.headers)
    assert own.json() == {"account": "resident", "balance_fen": 0, "items": [], "next_cursor": None}

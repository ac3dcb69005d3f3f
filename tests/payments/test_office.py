"""The money office: the weekly courier payout run (ledger movement + transfer instruction, once
per week) and the trade bill reconciliation (no difference after a clean run; each kind of
difference listed when the bill and the ledger disagree)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts import OrderCompletedV1, OrderExpiredV1, OrderSettledV1
from tests.payments.helpers import Community, Service
from tests.payments.wechatpay_server import CST, Order


async def _earn(service: Service, community: Community, courier_id: uuid.UUID, price: int) -> None:
    payer = community.resident()
    order_id = await community.order(payer, price_fen=price, tip_fen=0)
    await community.paid(payer, order_id)
    fields = {
        "community_id": community.id,
        "order_id": order_id,
        "requester_id": payer.id,
        "courier_id": courier_id,
        "order_type": "deliver",
        "price_fen": price,
    }
    await service.deliver(OrderCompletedV1(**fields, completion="confirmed"))  # type: ignore[arg-type]
    await service.deliver(
        OrderSettledV1(**fields, paid_fen=price, courier_earnings_fen=price, platform_fee_fen=0)  # type: ignore[arg-type]
    )


async def test_weekly_run_pays_out_each_courier_once(service: Service, community: Community) -> None:
    admin = community.person("admin")
    first, second = community.person("courier"), community.person("courier")
    await _earn(service, community, first.id, 600)
    await _earn(service, community, first.id, 400)
    await _earn(service, community, second.id, 700)
    run = await service.client.post(
        "/api/v1/payments/payouts/run", json={"week": "2026-W49"}, headers=admin.headers
    )
    assert run.status_code == 200, run.text
    body = run.json()
    assert sorted(p["amount_fen"] for p in body["payouts"]) == [700, 1000]
    instruction = body["instruction"]
    assert instruction["total_amount"] == 1700
    assert instruction["total_num"] == 2
    assert {d["courier_id"] for d in instruction["transfer_detail_list"]} == {str(first.id), str(second.id)}
    assert await service.balance(community.id, "courier", first.id) == 0
    again = await service.client.post(
        "/api/v1/payments/payouts/run", json={"week": "2026-W49"}, headers=admin.headers
    )
    assert again.json()["instruction"]["total_amount"] == 1700  # nobody paid twice
    assert await service.trial_balance() == 0
    ledger = (await service.client.get("/api/v1/payments/ledger", headers=first.headers)).json()
    assert ledger["balance_fen"] == 0
    assert ledger["items"][0]["kind"] == "payout"
    assert ledger["items"][0]["amount_fen"] == -1000
    courier_asks = await service.client.post("/api/v1/payments/payouts/run", json={}, headers=first.headers)
    assert courier_asks.status_code == 403


async def test_reconciliation_finds_no_difference_after_a_clean_day_and_lists_each_kind(
    service: Service, community: Community
) -> None:
    admin = community.person("admin")
    service.wechat.refunds_succeed_at_once = True
    payer = community.resident()
    kept = await community.order(payer)
    await community.paid(payer, kept)
    refunded = await community.order(payer)
    await community.paid(payer, refunded)
    await service.deliver(
        OrderExpiredV1(
            community_id=community.id,
            order_id=refunded,
            requester_id=payer.id,
            order_type="buy",
            price_fen=800,
        )
    )
    await service.run_sweep()
    today = datetime.now(UTC).astimezone(CST).date().isoformat()
    clean = await service.client.post(
        "/api/v1/payments/reconciliations", json={"bill_date": today}, headers=admin.headers
    )
    assert clean.status_code == 200, clean.text
    assert clean.json()["rows"] >= 3  # two payments and a refund at least
    assert clean.json()["differences"] == []

    # WeChat Pay has a payment the ledger never saw; the ledger has one WeChat Pay does not show;
    # and one amount differs.
    stranger = Order(
        out_trade_no=uuid.uuid4().hex,
        total=4200,
        openid="o-x",
        notify_url="",
        description="?",
        prepay_id="wx0",
    )
    service.wechat.orders[stranger.out_trade_no] = stranger
    service.wechat.pay(stranger.out_trade_no)
    kept_no = (await service.sql("SELECT out_trade_no FROM payments WHERE ref_id = :r", r=kept))[0][0]
    service.wechat.orders[kept_no].total = 999
    vanished = await community.order(payer)
    await community.paid(payer, vanished)
    vanished_no = (await service.sql("SELECT out_trade_no FROM payments WHERE ref_id = :r", r=vanished))[0][0]
    service.wechat.orders[vanished_no].transaction_id = None  # no longer in the bill
    result = await service.client.post(
        "/api/v1/payments/reconciliations", json={"bill_date": today}, headers=admin.headers
    )
    found = {(d["difference"], d["number"]) for d in result.json()["differences"]}
    assert ("missing_in_ledger", stranger.out_trade_no) in found
    assert ("amount_differs", kept_no) in found
    assert ("missing_in_bill", vanished_no) in found
    assert len(found) == 3
    stored = await service.sql(
        "SELECT jsonb_array_length(differences) FROM reconciliations WHERE bill_date = :d",
        d=datetime.fromisoformat(today).date(),
    )
    assert stored[0][0] >= 3


async def test_the_sweep_runs_last_weeks_payouts_once(service: Service, community: Community) -> None:
    courier = community.person("courier")
    await _earn(service, community, courier.id, 500)
    monday = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert await service.sweep.run_weekly_payouts(monday) >= 1
    assert await service.balance(community.id, "courier", courier.id) == 0
    rows = await service.sql("SELECT week, amount_fen FROM payouts WHERE courier_id = :c", c=courier.id)
    assert [(row[0], row[1]) for row in rows] == [("2026-W49", 500)]
    await _earn(service, community, courier.id, 300)  # earned after the run: next week's
    await service.sweep.run_weekly_payouts(monday)
    assert await service.balance(community.id, "courier", courier.id) == 300
    assert await service.trial_balance() == 0

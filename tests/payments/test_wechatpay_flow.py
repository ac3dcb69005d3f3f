"""WeChat Pay API v3 against the local server: JSAPI prepay with the client's signed parameters, the
payment callback (verified, decrypted, credited once), every bad callback refused with nothing
credited, the sweep's query and close, and the ledger after each."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from payments.adapters.wechatpay import rsa_verify
from tests.payments.helpers import NOTIFY, Community, EventTap, Service
from tests.payments.wechatpay_server import APPID


async def test_prepay_answers_signed_jsapi_params_and_the_amount_of_the_order(
    service: Service, community: Community
) -> None:
    payer = community.resident()
    order_id = await community.order(payer, price_fen=800, tip_fen=200)
    created = await community.pay_intent(payer, order_id)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending"
    assert body["amount_fen"] == 1000  # fee + tip given when ordering, from errand's event
    jsapi = body["jsapi"]
    no = uuid.UUID(body["id"]).hex
    order = service.wechat.orders[no]  # the server checked our request's signature to get here
    assert order.total == 1000
    assert jsapi["appId"] == APPID
    assert jsapi["package"] == f"prepay_id={order.prepay_id}"
    assert jsapi["signType"] == "RSA"
    message = f"{jsapi['appId']}\n{jsapi['timeStamp']}\n{jsapi['nonceStr']}\n{jsapi['package']}\n"
    assert rsa_verify(service.wechat.keys.merchant.public_key(), message, jsapi["paySign"])
    assert abs(int(jsapi["timeStamp"]) - time.time()) < 60


async def test_the_client_cannot_name_an_amount_and_others_orders_are_not_found(
    service: Service, community: Community
) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    forged = await service.client.post(
        "/api/v1/payments",
        json={"purpose": "errand_order", "ref_id": str(order_id), "openid": "o-1", "amount_fen": 1},
        headers=payer.headers,
    )
    assert forged.status_code == 422
    stranger = community.resident()
    assert (await community.pay_intent(stranger, order_id)).status_code == 404
    other_community = Community(service)
    outsider = other_community.resident()
    assert (await other_community.pay_intent(outsider, order_id)).status_code == 404
    unknown = await community.pay_intent(payer, uuid.uuid4())
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    english = await service.client.post(
        "/api/v1/payments",
        json={"purpose": "repair_charge", "ref_id": str(order_id), "openid": "o-1"},
        headers={**payer.headers, "Accept-Language": "en"},
    )
    assert english.status_code == 422
    assert english.json()["code"] == "payment_purpose_unsupported"
    assert "not supported" in english.json()["detail"]


async def test_idempotency_key_and_a_second_request_reuse_the_open_order(
    service: Service, community: Community
) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    first = await community.pay_intent(payer, order_id, **{"Idempotency-Key": "k1"})
    replay = await community.pay_intent(payer, order_id, **{"Idempotency-Key": "k1"})
    again = await community.pay_intent(payer, order_id)
    assert first.status_code == replay.status_code == again.status_code == 201
    assert first.json() == replay.json()
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["jsapi"]["package"] == first.json()["jsapi"]["package"]
    rows = await service.sql("SELECT count(*) FROM payments WHERE ref_id = :r", r=order_id)
    assert rows[0][0] == 1


async def test_a_valid_callback_credits_once_and_a_replay_changes_nothing(
    service: Service, community: Community
) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    async with EventTap(service) as tap:
        payment = await community.paid(payer, order_id)
        no = uuid.UUID(payment["id"]).hex
        replay = service.wechat.payment_callback(no)
        for _ in range(3):
            answer = await service.wechat.post(service.client, NOTIFY, replay)
            assert answer.status_code == 204
        # A new callback (new id, new nonce) for the same transaction: still once.
        assert (
            await service.wechat.post(service.client, NOTIFY, service.wechat.payment_callback(no))
        ).status_code == 204
        events = await tap.collect(lambda got: len(got) >= 1)
    view = await service.client.get(f"/api/v1/payments/{payment['id']}", headers=payer.headers)
    assert view.json()["status"] == "paid"
    assert await service.balance(community.id, "escrow", order_id) == 1000
    assert await service.balance(community.id, "provider", community.id) == -1000
    assert await service.trial_balance() == 0
    movements = await service.sql("SELECT count(*) FROM ledger_movements WHERE ref = :r", r=payment["id"])
    assert movements[0][0] == 1
    succeeded = [e for e in events if e["event_type"] == "payments.payment.succeeded.v1"]
    assert len(succeeded) == 1
    assert succeeded[0]["payload"]["ref_id"] == str(order_id)
    assert succeeded[0]["payload"]["amount_fen"] == 1000
    # Nothing more to pay for this order.
    assert (await community.pay_intent(payer, order_id)).json()["code"] == "payment_nothing_due"


async def _pending(service: Service, community: Community) -> tuple[str, uuid.UUID]:
    payer = community.resident()
    order_id = await community.order(payer)
    created = await community.pay_intent(payer, order_id)
    no = uuid.UUID(created.json()["id"]).hex
    service.wechat.pay(no)
    return no, order_id


async def _nothing_credited(service: Service, community: Community, order_id: uuid.UUID) -> None:
    assert await service.balance(community.id, "escrow", order_id) == 0
    rows = await service.sql("SELECT status FROM payments WHERE ref_id = :r", r=order_id)
    assert [row[0] for row in rows] == ["pending"]


async def test_bad_signature_is_refused_and_nothing_credited(service: Service, community: Community) -> None:
    no, order_id = await _pending(service, community)
    impostor = rsa.generate_private_key(65537, 2048)
    answer = await service.wechat.post(
        service.client, NOTIFY, service.wechat.payment_callback(no, signing_key=impostor)
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "FAIL"
    assert answer.json()["message"]
    # A body changed after signing is the same case.
    headers, body = service.wechat.payment_callback(no)
    tampered = await service.client.post(
        NOTIFY, content=body.replace(b"encrypt-resource", b"encrypt-resourcE"), headers=headers
    )
    assert tampered.status_code == 401
    await _nothing_credited(service, community, order_id)


async def test_stale_timestamp_is_refused(service: Service, community: Community) -> None:
    no, order_id = await _pending(service, community)
    stale = service.wechat.payment_callback(no, timestamp=int(time.time()) - 600)
    answer = await service.wechat.post(service.client, NOTIFY, stale)
    assert answer.status_code == 401
    assert answer.json() == {"code": "FAIL", "message": answer.json()["message"]}
    await _nothing_credited(service, community, order_id)


async def test_resource_not_encrypted_with_our_key_is_refused(service: Service, community: Community) -> None:
    no, order_id = await _pending(service, community)
    answer = await service.wechat.post(
        service.client, NOTIFY, service.wechat.payment_callback(no, apiv3_key=b"0" * 32)
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "FAIL"
    await _nothing_credited(service, community, order_id)


async def test_unknown_order_is_refused_and_flagged(service: Service, community: Community) -> None:
    no, order_id = await _pending(service, community)
    answer = await service.wechat.post(
        service.client,
        NOTIFY,
        service.wechat.payment_callback(no, override={"out_trade_no": uuid.uuid4().hex}),
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "FAIL"
    await _nothing_credited(service, community, order_id)


async def test_amount_mismatch_is_refused_flagged_and_not_credited(
    service: Service, community: Community
) -> None:
    no, order_id = await _pending(service, community)
    answer = await service.wechat.post(
        service.client,
        NOTIFY,
        service.wechat.payment_callback(
            no, override={"amount": {"total": 1, "payer_total": 1, "currency": "CNY"}}
        ),
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "FAIL"
    await _nothing_credited(service, community, order_id)
    flagged = await service.sql("SELECT kind FROM provider_anomalies WHERE out_trade_no = :n", n=no)
    assert [row[0] for row in flagged] == ["amount_mismatch"]
    admin = community.person("admin")
    listed = await service.client.get("/api/v1/payments/anomalies", headers=admin.headers)
    mine = [item for item in listed.json()["items"] if item["out_trade_no"] == no]
    assert [item["kind"] for item in mine] == ["amount_mismatch"]
    assert mine[0]["detail"]["amount"]["total"] == 1
    assert "payer" not in mine[0]["detail"]  # no payer identity kept
    resident_asks = await service.client.get(
        "/api/v1/payments/anomalies", headers=community.resident().headers
    )
    assert resident_asks.status_code == 403
    # The genuine callback afterwards is credited with the order's amount.
    assert (
        await service.wechat.post(service.client, NOTIFY, service.wechat.payment_callback(no))
    ).status_code == 204
    assert await service.balance(community.id, "escrow", order_id) == 1000


async def test_a_lost_callback_is_found_by_the_sweep(service: Service, community: Community) -> None:
    no, order_id = await _pending(service, community)  # paid at WeChat Pay; the callback never came
    result = await service.run_sweep()
    assert result.queried >= 1
    assert await service.balance(community.id, "escrow", order_id) == 1000
    # The callback arriving late after all: 204, still once.
    assert (
        await service.wechat.post(service.client, NOTIFY, service.wechat.payment_callback(no))
    ).status_code == 204
    assert await service.balance(community.id, "escrow", order_id) == 1000


async def test_an_expired_unpaid_order_is_closed_at_wechat_pay_and_reported_failed(
    service: Service, community: Community
) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    async with EventTap(service) as tap:
        created = await community.pay_intent(payer, order_id)
        no = uuid.UUID(created.json()["id"]).hex
        later = datetime.now(UTC) + timedelta(seconds=service.settings.payment_ttl_seconds + 60)
        await service.run_sweep(later)
        events = await tap.collect(
            lambda got: any(e["event_type"] == "payments.payment.failed.v1" for e in got)
        )
    assert service.wechat.orders[no].state == "CLOSED"
    view = await service.client.get(f"/api/v1/payments/{created.json()['id']}", headers=payer.headers)
    assert view.json()["status"] == "closed"
    failed = [e for e in events if e["event_type"] == "payments.payment.failed.v1"]
    assert failed[0]["payload"]["reason"] == "closed"


async def test_provider_down_keeps_nothing_and_answers_503(service: Service, community: Community) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    service.wechat.down = True
    answer = await community.pay_intent(payer, order_id, **{"Idempotency-Key": "down-1"})
    assert answer.status_code == 503
    assert answer.json()["code"] == "payment_provider_unavailable"
    assert answer.headers["Retry-After"] == "5"
    assert (await service.sql("SELECT count(*) FROM payments WHERE ref_id = :r", r=order_id))[0][0] == 0
    service.wechat.down = False
    retried = await community.pay_intent(payer, order_id, **{"Idempotency-Key": "down-1"})
    assert retried.status_code == 201


async def test_a_pending_order_waits_while_the_provider_is_unreachable(
    service: Service, community: Community
) -> None:
    _, order_id = await _pending(service, community)
    service.wechat.down = True
    result = await service.run_sweep()
    assert result.unreachable >= 1
    await _nothing_credited(service, community, order_id)
    service.wechat.down = False
    await service.run_sweep()
    assert await service.balance(community.id, "escrow", order_id) == 1000


async def test_someone_elses_payment_is_not_found(service: Service, community: Community) -> None:
    payer = community.resident()
    order_id = await community.order(payer)
    created = await community.pay_intent(payer, order_id)
    other = community.resident()
    assert (
        await service.client.get(f"/api/v1/payments/{created.json()['id']}", headers=other.headers)
    ).status_code == 404


async def test_concurrent_requests_for_one_order_make_one_order_at_wechat_pay(
    service: Service, community: Community
) -> None:
    import asyncio

    payer = community.resident()
    order_id = await community.order(payer)
    answers = await asyncio.gather(*(community.pay_intent(payer, order_id) for _ in range(5)))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    rows = await service.sql("SELECT count(*) FROM payments WHERE ref_id = :r", r=order_id)
    assert rows[0][0] == 1

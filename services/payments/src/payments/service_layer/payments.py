"""Use cases of payments: what is due, creating a payment (JSAPI prepay), believing WeChat Pay
(callbacks and queries), refunds, and the ledger movements each of them books.

Every fact from the provider is applied in one transaction with its ledger movement and its event
(outbox), keyed by something the provider cannot send twice differently (the order number, the
refund number): a replayed callback, a callback racing the sweep's query, or a crash between the
provider's answer and our commit (the provider repeats its callback, the sweep asks again) all end
with the money booked exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update

from contracts import PaymentFailedV1, PaymentSucceededV1, RefundSucceededV1
from payments.adapters import ledger_store
from payments.adapters.tables import (
    errand_orders,
    fee_bills,
    household_members,
    payments,
    provider_anomalies,
    refunds,
)
from payments.adapters.wechatpay import WechatPayClient, WechatPayError
from payments.domain import ledger
from payments.domain.payments import (
    MACHINE,
    REFUND_ENDED,
    REFUND_MACHINE,
    Action,
    Purpose,
    RefundAction,
    RefundStatus,
    Status,
    after_refunds,
    provider_unavailable,
)
from servicekit import idempotency
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import CursorInt, CursorModel, encode_cursor, read_cursor

ERRAND_PURPOSES = frozenset({Purpose.ERRAND_ORDER, Purpose.TIP, Purpose.ERRAND_GOODS})
LIVE = (Status.PAID.value, Status.REFUNDING.value, Status.REFUNDED.value)
OPEN_REFUNDS = (RefundStatus.PENDING.value, RefundStatus.PROCESSING.value)
# WeChat Pay writes its times in China Standard Time.
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Due:
    community_id: uuid.UUID
    purpose: Purpose
    ref_id: uuid.UUID
    amount_fen: int
    description: str


# -- what is due ---------------------------------------------------------------------------------
async def paid_for(uow: UnitOfWork, purpose: Purpose, ref_id: uuid.UUID) -> int:
    """What live payments of ``purpose`` for ``ref_id`` brought in (refunds not subtracted: a
    refunded order is not paid again)."""
    result = await uow.session.execute(
        select(func.coalesce(func.sum(payments.c.amount_fen), 0)).where(
            payments.c.purpose == purpose.value, payments.c.ref_id == ref_id, payments.c.status.in_(LIVE)
        )
    )
    return int(result.scalar_one())


async def amount_due(
    uow: UnitOfWork, user: CurrentUser, purpose: Purpose, ref_id: uuid.UUID, timing: str
) -> Due:
    """The amount comes from the referenced object, never from the client. Another user's object
    (or another community's) is 404."""
    if purpose in ERRAND_PURPOSES:
        order = (
            (
                await uow.session.execute(
                    select(errand_orders).where(
                        errand_orders.c.order_id == ref_id, errand_orders.c.community_id == user.community_id
                    )
                )
            )
            .mappings()
            .first()
        )
        if order is None or order["requester_id"] != user.id:
            raise NotFound()
        if order["status"] in ("cancelled", "expired", "failed"):
            raise DomainError("payment_not_payable_now", 409, status=order["status"])
        if purpose == Purpose.ERRAND_ORDER:
            if timing == "on_delivery" and order["status"] not in ("delivered", "completed"):
                raise DomainError("payment_not_payable_now", 409, status=order["status"])
            owed = order["price_fen"] + order["order_tip_fen"]
            text = "跑腿服务费"
        elif purpose == Purpose.TIP:
            owed = order["tip_fen"] - order["order_tip_fen"]
            text = "跑腿小费"
        else:
            owed = order["goods_estimate_fen"]
            text = "跑腿代购商品"
        due = owed - await paid_for(uow, purpose, ref_id)
        if due <= 0:
            raise DomainError("payment_nothing_due", 409)
        return Due(user.community_id, purpose, ref_id, due, text)
    if purpose == Purpose.PROPERTY_BILL:
        bill = (
            (
                await uow.session.execute(
                    select(fee_bills).where(
                        fee_bills.c.id == ref_id, fee_bills.c.community_id == user.community_id
                    )
                )
            )
            .mappings()
            .first()
        )
        if bill is None or not await is_member(uow, user, bill["household_id"]):
            raise NotFound()
        if bill["status"] != "issued" or await paid_for(uow, purpose, ref_id) > 0:
            raise DomainError("payment_nothing_due", 409)
        return Due(
            user.community_id, purpose, ref_id, int(bill["amount_fen"]), f"物业费 {bill['period_label']}"
        )
    raise DomainError("payment_purpose_unsupported", 422, purpose=purpose.value)


async def is_member(uow: UnitOfWork, user: CurrentUser, household_id: uuid.UUID) -> bool:
    if user.household_id == household_id:
        return True
    found = await uow.session.execute(
        select(household_members.c.user_id).where(
            household_members.c.community_id == user.community_id,
            household_members.c.user_id == user.id,
            household_members.c.household_id == household_id,
        )
    )
    return found.first() is not None


# -- creating ------------------------------------------------------------------------------------
def out_trade_no(payment_id: uuid.UUID) -> str:
    return payment_id.hex  # 32 characters: WeChat Pay's limit, letters and digits only


def time_expire(moment: datetime) -> str:
    """RFC 3339 with the +08:00 offset WeChat Pay writes."""
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


async def open_payment(
    uow: UnitOfWork,
    client: WechatPayClient,
    *,
    user: CurrentUser,
    due: Due,
    openid: str,
    now: datetime,
    ttl_seconds: int,
) -> dict[str, Any]:
    """Reuse the open order for this object if there is one, else make one at WeChat Pay; either
    way the client gets freshly signed JSAPI parameters. Two requests for one object at once
    queue on a transaction lock of that object, so the second finds the first's order."""
    await uow.session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{due.purpose.value}:{due.ref_id}", 0)))
    )
    existing = (
        (
            await uow.session.execute(
                select(payments)
                .where(
                    payments.c.purpose == due.purpose.value,
                    payments.c.ref_id == due.ref_id,
                    payments.c.status == Status.PENDING.value,
                )
                .with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if (
        existing is not None
        and existing["payer_id"] == user.id
        and existing["amount_fen"] == due.amount_fen
        and existing["openid"] == openid
        and existing["prepay_id"]
        and existing["expires_at"] > now + timedelta(minutes=1)
    ):
        row = dict(existing)
    else:
        if existing is not None:
            # A different amount (a tip raised since) or payer device: the old order is closed at
            # WeChat Pay first, so it can never be paid next to the new one.
            await client.close(existing["out_trade_no"])
            await uow.session.execute(
                update(payments)
                .where(payments.c.id == existing["id"])
                .values(status=Status.CLOSED.value, updated_at=now)
            )
        payment_id = uuid.uuid4()
        expires = now + timedelta(seconds=ttl_seconds)
        prepay_id = await client.jsapi_prepay(
            out_trade_no=out_trade_no(payment_id),
            description=due.description,
            total_fen=due.amount_fen,
            openid=openid,
            time_expire=time_expire(expires),
        )
        row = {
            "id": payment_id,
            "community_id": due.community_id,
            "payer_id": user.id,
            "purpose": due.purpose.value,
            "ref_id": due.ref_id,
            "amount_fen": due.amount_fen,
            "status": Status.PENDING.value,
            "out_trade_no": out_trade_no(payment_id),
            "prepay_id": prepay_id,
            "openid": openid,
            "created_at": now,
            "updated_at": now,
            "expires_at": expires,
        }
        await uow.session.execute(insert(payments).values(**row))
    body = view(row, [])
    body["jsapi"] = client.jsapi_params(str(row["prepay_id"]))
    return body


@dataclass(frozen=True)
class Created:
    status: int
    body: dict[str, Any]


async def create_payment(
    uow: UnitOfWork,
    client: WechatPayClient,
    user: CurrentUser,
    body: dict[str, Any],
    *,
    keyed: idempotency.Keyed,
    timing: str,
    now: datetime,
    ttl_seconds: int,
) -> Created:
    """`POST /api/v1/payments`: what is due for the referenced object, an order at WeChat Pay (or
    the open one again) and the client's JSAPI parameters, once per Idempotency-Key. The
    transaction is held while WeChat Pay answers, so its failure keeps nothing: the client tries
    again with the same key."""
    claim, stored = await keyed.claim(uow, scope="payments.create", user_id=user.id)
    if stored is not None:
        return Created(stored.status, stored.body)
    due = await amount_due(uow, user, Purpose(body["purpose"]), uuid.UUID(body["ref_id"]), timing)
    try:
        created = await open_payment(
            uow, client, user=user, due=due, openid=body["openid"], now=now, ttl_seconds=ttl_seconds
        )
    except WechatPayError as exc:
        if exc.status in (400, 403) and exc.code in ("PARAM_ERROR", "INVALID_REQUEST", "NO_AUTH"):
            raise DomainError("payment_provider_refused", 422, code=exc.code) from exc
        raise provider_unavailable() from exc
    if claim is not None:
        await claim.record(uow, 201, created)
    await uow.commit()
    return Created(201, created)


class EntryCursor(CursorModel):
    id: CursorInt


async def ledger_page(
    uow: UnitOfWork, user: CurrentUser, kind: str, *, cursor: str | None, limit: int
) -> dict[str, Any]:
    """The caller's own account (`resident` or `courier`), newest entries first, with its balance."""
    if kind == "courier" and not user.has_any("courier"):
        raise DomainError("forbidden", 403)
    own = ledger.Account(ledger.AccountKind(kind), user.id)
    position = read_cursor(cursor, EntryCursor)
    before_id = position.id if position else None
    rows = await ledger_store.entries(uow, user.community_id, own, before_id=before_id, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "account": kind,
        "balance_fen": await ledger_store.balance(uow, user.community_id, own),
        "items": [row.as_json() for row in rows],
        "next_cursor": encode_cursor({"id": rows[-1].id}) if more and rows else None,
    }


def view(row: Any, refund_rows: list[Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "purpose": row["purpose"],
        "ref_id": str(row["ref_id"]),
        "amount_fen": int(row["amount_fen"]),
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
        "paid_at": row["paid_at"].isoformat() if row.get("paid_at") else None,
        "refunds": [
            {
                "id": str(refund["id"]),
                "amount_fen": int(refund["amount_fen"]),
                "reason": refund["reason"],
                "status": refund["status"],
                "created_at": refund["created_at"].isoformat(),
                "succeeded_at": refund["succeeded_at"].isoformat() if refund["succeeded_at"] else None,
            }
            for refund in refund_rows
        ],
    }


async def load_view(uow: UnitOfWork, user: CurrentUser, payment_id: uuid.UUID) -> dict[str, Any]:
    row = (
        (
            await uow.session.execute(
                select(payments).where(
                    payments.c.id == payment_id, payments.c.community_id == user.community_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None or (row["payer_id"] != user.id and not user.has_any("admin")):
        raise NotFound()
    refund_rows = (
        (
            await uow.session.execute(
                select(refunds).where(refunds.c.payment_id == payment_id).order_by(refunds.c.created_at)
            )
        )
        .mappings()
        .all()
    )
    return view(row, list(refund_rows))


# -- believing the provider ----------------------------------------------------------------------
class Outcome(StrEnum):
    CREDITED = "credited"
    ALREADY = "already"
    UNKNOWN_ORDER = "unknown_order"
    MISMATCH = "mismatch"
    NOT_PAID = "not_paid"


async def _flag(
    uow: UnitOfWork,
    kind: str,
    community_id: uuid.UUID | None,
    trade_no: str | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    await uow.session.execute(
        insert(provider_anomalies).values(
            community_id=community_id, kind=kind, out_trade_no=trade_no, detail=detail, created_at=now
        )
    )


async def apply_transaction(
    uow: UnitOfWork, client: WechatPayClient, transaction: dict[str, Any], now: datetime
) -> Outcome:
    """A transaction as WeChat Pay states it (callback resource or query answer), already verified.
    Credits a SUCCESS once; a closed or failed one ends the order; anything that does not match our
    order is flagged and not credited."""
    trade_no = str(transaction.get("out_trade_no", ""))
    row = (
        (
            await uow.session.execute(
                select(payments).where(payments.c.out_trade_no == trade_no).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        await _flag(uow, "unknown_order", None, trade_no[:64], _safe(transaction), now)
        return Outcome.UNKNOWN_ORDER
    state = str(transaction.get("trade_state", ""))
    amount = transaction.get("amount") or {}
    if (
        transaction.get("mchid") != client.config.mchid
        or transaction.get("appid") != client.config.appid
        or (state == "SUCCESS" and amount.get("total") != row["amount_fen"])
    ):
        await _flag(uow, "amount_mismatch", row["community_id"], trade_no, _safe(transaction), now)
        return Outcome.MISMATCH
    if state in ("SUCCESS", "REFUND"):
        return await _credit(uow, row, str(transaction.get("transaction_id", "")), now)
    if state in ("CLOSED", "REVOKED"):
        await end_unpaid(uow, row, Action.CLOSE, now)
    elif state == "PAYERROR":
        await end_unpaid(uow, row, Action.FAIL, now)
    return Outcome.NOT_PAID


async def on_payment_notification(
    uow: UnitOfWork, client: WechatPayClient, resource: dict[str, Any], now: datetime
) -> Outcome:
    """A verified payment callback: applied and committed (an anomaly is kept even when the
    answer to WeChat Pay is FAIL)."""
    outcome = await apply_transaction(uow, client, resource, now)
    await uow.commit()
    return outcome


async def on_refund_notification(
    uow: UnitOfWork, client: WechatPayClient, resource: dict[str, Any], now: datetime
) -> Outcome:
    """A verified refund callback: applied and committed, like a payment callback."""
    outcome = await apply_refund(uow, client, resource, now)
    await uow.commit()
    return outcome


def _safe(transaction: dict[str, Any]) -> dict[str, Any]:
    """What an anomaly keeps: no payer identity."""
    return {
        key: transaction.get(key)
        for key in ("out_trade_no", "transaction_id", "trade_state", "amount", "mchid", "appid")
    }


async def _credit(uow: UnitOfWork, row: Any, transaction_id: str, now: datetime) -> Outcome:
    status = Status(row["status"])
    if status in (Status.PAID, Status.REFUNDING, Status.REFUNDED):
        return Outcome.ALREADY
    MACHINE.step(status, Action.PAY)
    community_id = row["community_id"]
    await uow.session.execute(
        update(payments)
        .where(payments.c.id == row["id"])
        .values(status=Status.PAID.value, transaction_id=transaction_id or None, paid_at=now, updated_at=now)
    )
    purpose = Purpose(row["purpose"])
    payer = ledger.Account(ledger.AccountKind.RESIDENT, row["payer_id"])
    booked = await ledger_store.post(
        uow,
        community_id,
        ledger.payment_received(
            ref=str(row["id"]),
            community_id=community_id,
            payer=payer,
            target=target_of(row),
            amount_fen=int(row["amount_fen"]),
        ),
        now,
    )
    assert booked, "a payment's movement is booked with its first transition to paid"
    if purpose == Purpose.PROPERTY_BILL:
        await uow.session.execute(
            update(fee_bills)
            .where(fee_bills.c.id == row["ref_id"], fee_bills.c.status == "issued")
            .values(status="paid", paid_at=now, payment_id=row["id"])
        )
    uow.emit(
        PaymentSucceededV1(
            community_id=community_id,
            payment_id=row["id"],
            payer_id=row["payer_id"],
            purpose=purpose.value,
            ref_id=row["ref_id"],
            amount_fen=int(row["amount_fen"]),
        ),
        actor_id=row["payer_id"],
    )
    if purpose in ERRAND_PURPOSES:
        # Late money for an order that ended meanwhile goes back; a tip for a settled order goes on.
        from payments.service_layer.errands import after_errand_payment

        await after_errand_payment(uow, community_id, row["ref_id"], row["id"], now)
    return Outcome.CREDITED


def target_of(row: Any) -> ledger.Account:
    if Purpose(row["purpose"]) in ERRAND_PURPOSES:
        return ledger.Account(ledger.AccountKind.ESCROW, row["ref_id"])
    return ledger.Account(ledger.AccountKind.PROPERTY, row["community_id"])


async def end_unpaid(uow: UnitOfWork, row: Any, action: Action, now: datetime) -> None:
    status = Status(row["status"])
    step = MACHINE.step(status, action)
    if not step.changed:
        return
    target = step.after
    await uow.session.execute(
        update(payments).where(payments.c.id == row["id"]).values(status=target.value, updated_at=now)
    )
    uow.emit(
        PaymentFailedV1(
            community_id=row["community_id"],
            payment_id=row["id"],
            payer_id=row["payer_id"],
            purpose=row["purpose"],
            ref_id=row["ref_id"],
            amount_fen=int(row["amount_fen"]),
            reason="closed" if target == Status.CLOSED else "failed",
        )
    )


# -- refunds -------------------------------------------------------------------------------------
async def refund_totals(uow: UnitOfWork, payment_id: uuid.UUID) -> tuple[int, int]:
    """(succeeded, in flight) refunded amounts of a payment."""
    rows = (
        await uow.session.execute(
            select(refunds.c.status, func.sum(refunds.c.amount_fen))
            .where(refunds.c.payment_id == payment_id)
            .group_by(refunds.c.status)
        )
    ).all()
    totals = {status: int(total) for status, total in rows}
    return totals.get("succeeded", 0), sum(totals.get(status, 0) for status in OPEN_REFUNDS)


async def request_refund(
    uow: UnitOfWork, payment: Any, amount_fen: int, reason: str, now: datetime
) -> uuid.UUID | None:
    """Ask for ``amount_fen`` back (at most what is left of the payment); the sweep sends it to
    WeChat Pay after this commits. None when nothing is left to refund."""
    succeeded, in_flight = await refund_totals(uow, payment["id"])
    amount = min(amount_fen, int(payment["amount_fen"]) - succeeded - in_flight)
    if amount <= 0:
        return None
    MACHINE.step(Status(payment["status"]), Action.REFUND)
    refund_id = uuid.uuid4()
    await uow.session.execute(
        insert(refunds).values(
            id=refund_id,
            community_id=payment["community_id"],
            payment_id=payment["id"],
            out_refund_no=refund_id.hex,
            amount_fen=amount,
            reason=reason,
            status=RefundStatus.PENDING.value,
            created_at=now,
            updated_at=now,
        )
    )
    await uow.session.execute(
        update(payments)
        .where(payments.c.id == payment["id"])
        .values(status=Status.REFUNDING.value, updated_at=now)
    )
    return refund_id


async def apply_refund(
    uow: UnitOfWork, client: WechatPayClient, answer: dict[str, Any], now: datetime
) -> Outcome:
    """A refund as WeChat Pay states it (refund callback, refund answer or refund query)."""
    refund_no = str(answer.get("out_refund_no", ""))
    refund = (
        (
            await uow.session.execute(
                select(refunds).where(refunds.c.out_refund_no == refund_no).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if refund is None:
        await _flag(uow, "unknown_refund", None, str(answer.get("out_trade_no", ""))[:64], _safe(answer), now)
        return Outcome.UNKNOWN_ORDER
    payment = (
        (
            await uow.session.execute(
                select(payments).where(payments.c.id == refund["payment_id"]).with_for_update()
            )
        )
        .mappings()
        .one()
    )
    amount = answer.get("amount") or {}
    if answer.get("out_trade_no") != payment["out_trade_no"] or (
        "refund" in amount and amount["refund"] != refund["amount_fen"]
    ):
        await _flag(
            uow, "refund_mismatch", refund["community_id"], payment["out_trade_no"], _safe(answer), now
        )
        return Outcome.MISMATCH
    status = str(answer.get("refund_status") or answer.get("status") or "")
    current = RefundStatus(refund["status"])
    if current in REFUND_ENDED:
        return Outcome.ALREADY
    if status == "PROCESSING":
        step = REFUND_MACHINE.step(current, RefundAction.ACCEPT)
        await uow.session.execute(
            update(refunds)
            .where(refunds.c.id == refund["id"])
            .values(status=step.after.value, refund_id=answer.get("refund_id"), updated_at=now)
        )
        return Outcome.NOT_PAID
    if status in ("CLOSED", "ABNORMAL"):
        step = REFUND_MACHINE.step(current, RefundAction.FAIL)
        await uow.session.execute(
            update(refunds)
            .where(refunds.c.id == refund["id"])
            .values(status=step.after.value, updated_at=now)
        )
        await _flag(uow, "refund_failed", refund["community_id"], payment["out_trade_no"], _safe(answer), now)
        await _settle_payment_status(uow, payment, now)
        return Outcome.NOT_PAID
    if status != "SUCCESS":
        return Outcome.NOT_PAID
    step = REFUND_MACHINE.step(current, RefundAction.SUCCEED)
    await uow.session.execute(
        update(refunds)
        .where(refunds.c.id == refund["id"])
        .values(status=step.after.value, refund_id=answer.get("refund_id"), succeeded_at=now, updated_at=now)
    )
    community_id = payment["community_id"]
    await ledger_store.post(
        uow,
        community_id,
        ledger.refund_paid(
            ref=str(refund["id"]),
            community_id=community_id,
            payer=ledger.Account(ledger.AccountKind.RESIDENT, payment["payer_id"]),
            source=target_of(payment),
            amount_fen=int(refund["amount_fen"]),
        ),
        now,
    )
    succeeded = await _settle_payment_status(uow, payment, now)
    uow.emit(
        RefundSucceededV1(
            community_id=community_id,
            payment_id=payment["id"],
            payer_id=payment["payer_id"],
            purpose=payment["purpose"],
            ref_id=payment["ref_id"],
            amount_fen=int(payment["amount_fen"]),
            refund_id=refund["id"],
            refund_fen=int(refund["amount_fen"]),
            refunded_total_fen=succeeded,
            reason=refund["reason"],
        )
    )
    return Outcome.CREDITED


async def _settle_payment_status(uow: UnitOfWork, payment: Any, now: datetime) -> int:
    succeeded, in_flight = await refund_totals(uow, payment["id"])
    status = after_refunds(int(payment["amount_fen"]), succeeded, in_flight)
    await uow.session.execute(
        update(payments).where(payments.c.id == payment["id"]).values(status=status.value, updated_at=now)
    )
    return succeeded

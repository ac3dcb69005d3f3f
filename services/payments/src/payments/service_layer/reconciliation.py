"""Reconciliation of a day's trade bill (WeChat Pay's 交易账单, bill_type ALL) against the ledger.

Every bill row is matched with what the service booked, and every booking of the day with a bill
row; what does not match is listed, never hidden:

- `missing_in_ledger`: WeChat Pay has a payment (or a refund) the ledger never booked;
- `missing_in_bill`: the ledger booked a payment (or a refund) the bill does not show;
- `amount_differs`: both have it, with different amounts.

The result is kept per bill date (a second run replaces it).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from payments.adapters.tables import payments, reconciliations, refunds
from payments.adapters.wechatpay import WechatPayClient, WechatPayError, parse_trade_bill
from payments.domain.payments import provider_unavailable
from payments.service_layer.payments import CHINA, LIVE
from servicekit.db import UnitOfWork


def fen(yuan: str) -> int | None:
    try:
        return int((Decimal(yuan) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CHINA)
    return start, start + timedelta(days=1)


async def reconcile_day(
    uow: UnitOfWork, client: WechatPayClient, community_id: uuid.UUID, day: date, now: datetime
) -> dict[str, Any]:
    """Download the day's trade bill and reconcile it (kept for every community); the answer lists
    this community's differences and those no community can be named for (an order number the
    service never made). WeChat Pay unreachable: 503, nothing kept."""
    try:
        bill = await client.trade_bill(day.isoformat())
    except WechatPayError as exc:
        raise provider_unavailable() from exc
    result = await reconcile(uow, day, bill, now)
    await uow.commit()
    mine = str(community_id)
    result["differences"] = [item for item in result["differences"] if item["community_id"] in (mine, None)]
    return result


async def reconcile(uow: UnitOfWork, day: date, bill: bytes, now: datetime) -> dict[str, Any]:
    rows = parse_trade_bill(bill)
    start, end = day_bounds(day)
    booked_payments = {
        row.out_trade_no: row
        for row in (
            await uow.session.execute(
                select(payments.c.out_trade_no, payments.c.amount_fen, payments.c.community_id).where(
                    payments.c.status.in_(LIVE), payments.c.paid_at >= start, payments.c.paid_at < end
                )
            )
        ).all()
    }
    booked_refunds = {
        row.out_refund_no: row
        for row in (
            await uow.session.execute(
                select(refunds.c.out_refund_no, refunds.c.amount_fen, refunds.c.community_id).where(
                    refunds.c.status == "succeeded",
                    refunds.c.succeeded_at >= start,
                    refunds.c.succeeded_at < end,
                )
            )
        ).all()
    }
    differences: list[dict[str, Any]] = []
    seen_payments: set[str] = set()
    seen_refunds: set[str] = set()
    for row in rows:
        state = row.get("交易状态", "")
        if state == "SUCCESS":
            no = row.get("商户订单号", "")
            amount = fen(row.get("应结订单金额", ""))
            seen_payments.add(no)
            local = booked_payments.get(no)
            if local is None:
                local = await _payment_any_day(uow, no)
            _compare(differences, "payment", no, amount, local)
        elif state == "REFUND":
            no = row.get("商户退款单号", "")
            amount = fen(row.get("退款金额", ""))
            seen_refunds.add(no)
            local = booked_refunds.get(no)
            if local is None:
                local = await _refund_any_day(uow, no)
            _compare(differences, "refund", no, amount, local)
    for no, local in booked_payments.items():
        if no not in seen_payments:
            differences.append(_difference("missing_in_bill", "payment", no, None, local))
    for no, local in booked_refunds.items():
        if no not in seen_refunds:
            differences.append(_difference("missing_in_bill", "refund", no, None, local))
    result = {"bill_date": day.isoformat(), "rows": len(rows), "differences": differences}
    statement = pg_insert(reconciliations).values(
        bill_date=day, rows=len(rows), differences=differences, created_at=now
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[reconciliations.c.bill_date],
            set_={
                "rows": statement.excluded.rows,
                "differences": statement.excluded.differences,
                "created_at": now,
            },
        )
    )
    return result


async def _payment_any_day(uow: UnitOfWork, no: str) -> Any:
    """A payment the bill shows on another day than we booked it (paid at midnight): still ours."""
    return await _booked(uow, payments.c.out_trade_no, payments.c.status.in_(LIVE), no)


async def _refund_any_day(uow: UnitOfWork, no: str) -> Any:
    return await _booked(uow, refunds.c.out_refund_no, refunds.c.status == "succeeded", no)


async def _booked(uow: UnitOfWork, number: Any, booked: Any, no: str) -> Any:
    table = number.table
    return (
        await uow.session.execute(
            select(number, table.c.amount_fen, table.c.community_id).where(number == no, booked)
        )
    ).first()


def _compare(differences: list[dict[str, Any]], kind: str, no: str, amount: int | None, local: Any) -> None:
    if local is None:
        differences.append(_difference("missing_in_ledger", kind, no, amount, None))
    elif amount != int(local.amount_fen):
        differences.append(_difference("amount_differs", kind, no, amount, local))


def _difference(what: str, kind: str, no: str, bill_fen: int | None, local: Any) -> dict[str, Any]:
    return {
        "difference": what,
        "kind": kind,
        "number": no,
        "bill_fen": bill_fen,
        "ledger_fen": int(local.amount_fen) if local is not None else None,
        "community_id": str(local.community_id) if local is not None else None,
    }

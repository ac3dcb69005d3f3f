"""Use cases of property fees: fee items per household, the bills issued from them, their lists
(newest first) and the receipt of a paid bill. Managers and admin write; the office (managers,
committee, admin) reads; a household's members read their own bills and receipts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from payments.adapters.tables import fee_bills, fee_items, household_members
from payments.domain.fees import Basis, amount_in_words, bill_amount, is_overdue
from payments.service_layer.payments import is_member
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.i18n import translate
from servicekit.pagination import newest_first, page_of

STAFF = ("property_manager", "committee", "admin")


def local_day(now: datetime, timezone: str) -> date:
    """Today in the community's time zone (a bill is overdue the day after its due date there)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def item_view(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "household_id": str(row["household_id"]),
        "name": row["name"],
        "basis": row["basis"],
        "unit_price_fen": int(row["unit_price_fen"]),
        "area_m2": row["area_m2"] / 100 if row["area_m2"] is not None else None,
        "period": row["period"],
        "created_at": row["created_at"].isoformat(),
    }


def bill_view(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "item_id": str(row["item_id"]),
        "household_id": str(row["household_id"]),
        "period_label": row["period_label"],
        "amount_fen": int(row["amount_fen"]),
        "due_date": row["due_date"].isoformat(),
        "status": row["status"],
        "overdue": is_overdue(row["status"], row["due_date"], today),
        "issued_at": row["issued_at"].isoformat(),
        "paid_at": row["paid_at"].isoformat() if row["paid_at"] else None,
        "payment_id": str(row["payment_id"]) if row["payment_id"] else None,
    }


async def create_item(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    household_id: uuid.UUID,
    name: str,
    basis: Basis,
    unit_price_fen: int,
    area_m2: float | None,
    period: str,
    now: datetime,
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "community_id": user.community_id,
        "household_id": household_id,
        "name": name,
        "basis": basis.value,
        "unit_price_fen": unit_price_fen,
        "area_m2": round(area_m2 * 100) if area_m2 is not None else None,
        "period": period,
        "created_by": user.id,
        "created_at": now,
    }
    await uow.session.execute(insert(fee_items).values(**row))
    await uow.commit()
    return item_view(row)


async def list_items(
    uow: UnitOfWork, user: CurrentUser, *, household_id: uuid.UUID | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = select(fee_items).where(fee_items.c.community_id == user.community_id)
    if household_id is not None:
        query = query.where(fee_items.c.household_id == household_id)
    return await _page(uow, query, fee_items, "created_at", cursor, limit, item_view)


async def issue_bill(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    item_id: uuid.UUID,
    period_label: str,
    due_date: date,
    now: datetime,
    timezone: str,
) -> dict[str, Any]:
    """One bill per item and period: a second one is 409 `fee_bill_exists`."""
    item = (
        (
            await uow.session.execute(
                select(fee_items).where(
                    fee_items.c.id == item_id, fee_items.c.community_id == user.community_id
                )
            )
        )
        .mappings()
        .first()
    )
    if item is None:
        raise NotFound()
    row = {
        "id": uuid.uuid4(),
        "community_id": user.community_id,
        "item_id": item["id"],
        "household_id": item["household_id"],
        "period_label": period_label,
        "amount_fen": bill_amount(Basis(item["basis"]), int(item["unit_price_fen"]), item["area_m2"]),
        "due_date": due_date,
        "status": "issued",
        "issued_by": user.id,
        "issued_at": now,
        "paid_at": None,
        "payment_id": None,
    }
    inserted = await uow.session.execute(
        pg_insert(fee_bills)
        .values(**row)
        .on_conflict_do_nothing(constraint="uq_fee_bills_item_period")
        .returning(fee_bills.c.id)
    )
    if inserted.first() is None:
        raise DomainError("fee_bill_exists", 409, period=period_label)
    await uow.commit()
    return bill_view(row, local_day(now, timezone))


async def list_bills(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    scope: Literal["community", "mine"],
    status: Literal["issued", "paid", "overdue"] | None,
    household_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    timezone: str,
) -> dict[str, Any]:
    """The office sees the community's bills (`overdue`: issued, due date past in the community's
    time zone); `mine` is the caller's households' bills; anyone else is 403."""
    query = select(fee_bills).where(fee_bills.c.community_id == user.community_id)
    if scope == "mine":
        households = set(
            (
                await uow.session.execute(
                    select(household_members.c.household_id).where(
                        household_members.c.community_id == user.community_id,
                        household_members.c.user_id == user.id,
                    )
                )
            ).scalars()
        )
        if user.household_id is not None:
            households.add(user.household_id)
        query = query.where(fee_bills.c.household_id.in_(households))
    elif not user.has_any(*STAFF):
        raise DomainError("forbidden", 403)
    if household_id is not None:
        query = query.where(fee_bills.c.household_id == household_id)
    today = local_day(now, timezone)
    if status == "overdue":
        query = query.where(fee_bills.c.status == "issued", fee_bills.c.due_date < today)
    elif status is not None:
        query = query.where(fee_bills.c.status == status)
    return await _page(uow, query, fee_bills, "issued_at", cursor, limit, lambda row: bill_view(row, today))


async def _page(
    uow: UnitOfWork,
    query: Select[Any],
    table: Table,
    time_column: str,
    cursor: str | None,
    limit: int,
    shape: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Newest first by (time, id) (servicekit.pagination)."""
    paged = newest_first(query, key=table.c[time_column], id_column=table.c.id, cursor=cursor, limit=limit)
    rows = (await uow.session.execute(paged)).mappings().all()
    page, next_cursor = page_of(rows, limit, lambda row: (row[time_column], row["id"]))
    return {"items": [shape(row) for row in page], "next_cursor": next_cursor}


async def receipt(
    uow: UnitOfWork, user: CurrentUser, bill_id: uuid.UUID, *, locale: str, timezone: str
) -> dict[str, Any]:
    """A paid bill's receipt: its household's members and the office may read it; another
    household's bill is 404, an unpaid one 409 `fee_bill_unpaid`."""
    row = (
        (
            await uow.session.execute(
                select(fee_bills, fee_items.c.name)
                .select_from(fee_bills.join(fee_items, fee_bills.c.item_id == fee_items.c.id))
                .where(fee_bills.c.id == bill_id, fee_bills.c.community_id == user.community_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None or not (user.has_any(*STAFF) or await is_member(uow, user, row["household_id"])):
        raise NotFound()
    if row["status"] != "paid":
        raise DomainError("fee_bill_unpaid", 409)
    title, _ = translate("fee_receipt", locale, {})
    return {
        "title": title,
        "receipt_no": f"WL{row['paid_at'].astimezone(ZoneInfo(timezone)):%Y%m%d}{row['id'].hex[:10].upper()}",
        "bill_id": str(row["id"]),
        "household_id": str(row["household_id"]),
        "item": row["name"],
        "period_label": row["period_label"],
        "amount_fen": int(row["amount_fen"]),
        "amount_in_words": amount_in_words(int(row["amount_fen"])),
        "paid_at": row["paid_at"].isoformat(),
        "payment_id": str(row["payment_id"]),
    }

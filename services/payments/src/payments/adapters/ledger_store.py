"""Writing and reading the ledger (domain/ledger.py) in the service's database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from payments.adapters.tables import ledger_accounts, ledger_entries, ledger_movements
from payments.domain.ledger import Account, AccountKind, Movement
from servicekit.db import UnitOfWork


async def account_id(uow: UnitOfWork, community_id: uuid.UUID, account: Account) -> int:
    """The account's row id, made on first use (two first uses at once meet on the unique key)."""
    inserted = await uow.session.execute(
        pg_insert(ledger_accounts)
        .values(community_id=community_id, kind=account.kind.value, owner_id=account.owner_id)
        .on_conflict_do_nothing(constraint="uq_ledger_accounts_owner")
        .returning(ledger_accounts.c.id)
    )
    row = inserted.first()
    if row is not None:
        return int(row.id)
    found = await uow.session.execute(
        select(ledger_accounts.c.id).where(
            ledger_accounts.c.community_id == community_id,
            ledger_accounts.c.kind == account.kind.value,
            ledger_accounts.c.owner_id == account.owner_id,
        )
    )
    return int(found.scalar_one())


async def post(uow: UnitOfWork, community_id: uuid.UUID, movement: Movement, now: datetime) -> bool:
    """Book ``movement`` in this unit of work. False when its (kind, ref) was booked before: the
    same fact is never booked twice, whoever reports it how often."""
    created = await uow.session.execute(
        pg_insert(ledger_movements)
        .values(community_id=community_id, kind=movement.kind.value, ref=movement.ref, created_at=now)
        .on_conflict_do_nothing(constraint="uq_ledger_movements_ref")
        .returning(ledger_movements.c.id)
    )
    row = created.first()
    if row is None:
        return False
    rows = [
        {
            "movement_id": row.id,
            "account_id": await account_id(uow, community_id, posting.account),
            "amount_fen": posting.amount_fen,
        }
        for posting in movement.postings
    ]
    await uow.session.execute(insert(ledger_entries), rows)
    return True


async def balance(uow: UnitOfWork, community_id: uuid.UUID, account: Account) -> int:
    result = await uow.session.execute(
        select(func.coalesce(func.sum(ledger_entries.c.amount_fen), 0))
        .select_from(
            ledger_entries.join(ledger_accounts, ledger_entries.c.account_id == ledger_accounts.c.id)
        )
        .where(
            ledger_accounts.c.community_id == community_id,
            ledger_accounts.c.kind == account.kind.value,
            ledger_accounts.c.owner_id == account.owner_id,
        )
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    ref: str
    amount_fen: int
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "ref": self.ref,
            "amount_fen": self.amount_fen,
            "at": self.at.isoformat(),
        }


async def entries(
    uow: UnitOfWork, community_id: uuid.UUID, account: Account, *, before_id: int | None, limit: int
) -> list[Entry]:
    """An account's entries, newest first."""
    query = (
        select(
            ledger_entries.c.id,
            ledger_movements.c.kind,
            ledger_movements.c.ref,
            ledger_entries.c.amount_fen,
            ledger_movements.c.created_at,
        )
        .select_from(
            ledger_entries.join(ledger_accounts, ledger_entries.c.account_id == ledger_accounts.c.id).join(
                ledger_movements, ledger_entries.c.movement_id == ledger_movements.c.id
            )
        )
        .where(
            ledger_accounts.c.community_id == community_id,
            ledger_accounts.c.kind == account.kind.value,
            ledger_accounts.c.owner_id == account.owner_id,
        )
        .order_by(ledger_entries.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(ledger_entries.c.id < before_id)
    rows = (await uow.session.execute(query)).all()
    return [Entry(row.id, row.kind, row.ref, row.amount_fen, row.created_at) for row in rows]


async def trial_balance(uow: UnitOfWork, community_id: uuid.UUID | None = None) -> int:
    """The sum of every entry (of one community): zero in a sound ledger."""
    query = select(func.coalesce(func.sum(ledger_entries.c.amount_fen), 0))
    if community_id is not None:
        query = query.select_from(
            ledger_entries.join(ledger_accounts, ledger_entries.c.account_id == ledger_accounts.c.id)
        ).where(ledger_accounts.c.community_id == community_id)
    return int((await uow.session.execute(query)).scalar_one())


async def balances_by_kind(
    uow: UnitOfWork, community_id: uuid.UUID, kind: AccountKind
) -> dict[uuid.UUID, int]:
    rows = (
        await uow.session.execute(
            select(ledger_accounts.c.owner_id, func.sum(ledger_entries.c.amount_fen).label("balance"))
            .select_from(
                ledger_entries.join(ledger_accounts, ledger_entries.c.account_id == ledger_accounts.c.id)
            )
            .where(ledger_accounts.c.community_id == community_id, ledger_accounts.c.kind == kind.value)
            .group_by(ledger_accounts.c.owner_id)
        )
    ).all()
    return {row.owner_id: int(row.balance) for row in rows}

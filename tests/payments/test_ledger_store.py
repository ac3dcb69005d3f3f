"""The database itself refuses an unbalanced movement and any edit of a booked entry: no code path,
present or future, can write half a movement or rewrite history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payments.adapters import ledger_store
from payments.domain import ledger
from tests.payments.helpers import Community, Service


async def test_unbalanced_entries_are_refused_at_commit(service: Service, community: Community) -> None:
    account = ledger.Account(ledger.AccountKind.PLATFORM, community.id)
    async with service.runtime.uow() as uow:
        account_id = await ledger_store.account_id(uow, community.id, account)
        await uow.commit()
    with pytest.raises(DBAPIError, match="unbalanced"):
        async with service.runtime.engine.begin() as conn:
            movement = (
                await conn.execute(
                    text(
                        "INSERT INTO ledger_movements (community_id, kind, ref, created_at) "
                        "VALUES (:c, 'payment', :r, now()) RETURNING id"
                    ),
                    {"c": community.id, "r": str(uuid.uuid4())},
                )
            ).scalar_one()
            await conn.execute(
                text("INSERT INTO ledger_entries (movement_id, account_id, amount_fen) VALUES (:m, :a, 100)"),
                {"m": movement, "a": account_id},
            )


async def test_booked_entries_cannot_be_edited_or_deleted(service: Service, community: Community) -> None:
    payer = ledger.Account(ledger.AccountKind.RESIDENT, uuid.uuid4())
    escrow = ledger.Account(ledger.AccountKind.ESCROW, uuid.uuid4())
    ref = str(uuid.uuid4())
    async with service.runtime.uow() as uow:
        movement = ledger.payment_received(
            ref=ref, community_id=community.id, payer=payer, target=escrow, amount_fen=500
        )
        assert await ledger_store.post(uow, community.id, movement, datetime.now(UTC))
        assert not await ledger_store.post(uow, community.id, movement, datetime.now(UTC))  # same fact: once
        await uow.commit()
    for statement in (
        "UPDATE ledger_entries SET amount_fen = amount_fen * 2 WHERE movement_id = "
        "(SELECT id FROM ledger_movements WHERE ref = :r)",
        "DELETE FROM ledger_entries WHERE movement_id = (SELECT id FROM ledger_movements WHERE ref = :r)",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await service.sql(statement, r=ref)
    assert await service.balance(community.id, "escrow", escrow.owner_id) == 500

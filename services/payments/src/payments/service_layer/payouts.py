"""The weekly courier settlement run: every courier account of a community with a positive balance
is paid out. Each payout is one ledger movement (courier -> provider) and one transfer
instruction in the shape of WeChat Pay's 商家转账 batch (`out_batch_no`, one detail per courier),
kept on the payout row for the finance person (or the provider's transfer API) to carry out.

A run is idempotent per ISO week: a second run of the same week pays nobody twice (unique
community, courier, week); earnings arriving after a run wait for the next week's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from payments.adapters import ledger_store
from payments.adapters.tables import payouts
from payments.domain import ledger
from servicekit.db import UnitOfWork


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def run_settlement(
    uow: UnitOfWork, community_id: uuid.UUID, week: str, now: datetime
) -> list[dict[str, Any]]:
    # Two runs of one community and week at once: the second waits, then finds the first's payouts.
    await uow.session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"payouts:{community_id}:{week}", 0)))
    )
    balances = await ledger_store.balances_by_kind(uow, community_id, ledger.AccountKind.COURIER)
    done = set(
        (
            await uow.session.execute(
                select(payouts.c.courier_id).where(
                    payouts.c.community_id == community_id, payouts.c.week == week
                )
            )
        ).scalars()
    )
    batch = f"{community_id.hex[:12]}{week.replace('-', '')}"
    created = []
    for courier_id, balance in sorted(balances.items(), key=lambda item: str(item[0])):
        if balance <= 0 or courier_id in done:
            continue
        payout_id = uuid.uuid4()
        await ledger_store.post(
            uow,
            community_id,
            ledger.payout(
                ref=str(payout_id),
                community_id=community_id,
                courier=ledger.Account(ledger.AccountKind.COURIER, courier_id),
                amount_fen=balance,
            ),
            now,
        )
        row = {
            "id": payout_id,
            "community_id": community_id,
            "courier_id": courier_id,
            "week": week,
            "amount_fen": balance,
            "out_batch_no": batch,
            "status": "instructed",
            "created_at": now,
        }
        await uow.session.execute(insert(payouts).values(**row))
        created.append(row)
    return created


async def list_payouts(uow: UnitOfWork, community_id: uuid.UUID, week: str) -> list[dict[str, Any]]:
    rows = (
        (
            await uow.session.execute(
                select(payouts)
                .where(payouts.c.community_id == community_id, payouts.c.week == week)
                .order_by(payouts.c.created_at, payouts.c.courier_id)
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


def instruction(week: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The transfer batch, as WeChat Pay's transfer API takes it (the payee's openid is looked up by
    whoever carries it out: the platform keeps no openid of couriers)."""
    return {
        "out_batch_no": rows[0]["out_batch_no"] if rows else None,
        "batch_name": f"骑手结算 {week}",
        "batch_remark": f"跑腿收入结算 {week}",
        "total_amount": sum(int(row["amount_fen"]) for row in rows),
        "total_num": len(rows),
        "transfer_detail_list": [
            {
                "out_detail_no": row["id"].hex,
                "transfer_amount": int(row["amount_fen"]),
                "transfer_remark": f"跑腿收入 {week}",
                "courier_id": str(row["courier_id"]),
            }
            for row in rows
        ],
    }


def view(week: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A week's payouts and their transfer instruction, as the office reads them."""
    return {
        "week": week,
        "payouts": [
            {
                "id": str(row["id"]),
                "courier_id": str(row["courier_id"]),
                "amount_fen": int(row["amount_fen"]),
                "status": row["status"],
                "created_at": row["created_at"].isoformat(),
            }
            for row in rows
        ],
        "instruction": instruction(week, rows),
    }


async def run_week(uow: UnitOfWork, community_id: uuid.UUID, week: str, now: datetime) -> dict[str, Any]:
    """The office's run of one week (idempotent per week): the week's payouts, old and new."""
    await run_settlement(uow, community_id, week, now)
    await uow.commit()
    return await week_view(uow, community_id, week)


async def week_view(uow: UnitOfWork, community_id: uuid.UUID, week: str) -> dict[str, Any]:
    return view(week, await list_payouts(uow, community_id, week))

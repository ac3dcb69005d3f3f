"""The sweep: what WeChat Pay has not told us yet, we ask.

- pending orders older than `sweep_after_seconds` are queried (a callback lost, the service down
  when it came, a crash between the provider's answer and our commit); SUCCESS is credited like a
  callback, CLOSED ends the order, and an order past its expiry is closed at WeChat Pay first;
- once a week, the courier payout run of the week that ended (service_layer/payouts.py);
- refunds waiting to be sent are sent (`out_refund_no` makes a resend the same refund at WeChat
  Pay, so a crash after sending never refunds twice), and refunds in processing are queried.

One row per unit of work, claimed with `FOR UPDATE SKIP LOCKED`: replicas share the work, and a
provider that does not answer leaves the row as it was for the next round. Each row is tried once
per round; a refund the round itself made (late money for an ended order) is sent in that round.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, or_, select, update

from payments.adapters.tables import ledger_accounts, payments, refunds
from payments.adapters.wechatpay import WechatPayClient, WechatPayError
from payments.config import Settings
from payments.domain.ledger import AccountKind
from payments.domain.payments import Action, Status
from payments.service_layer.payments import apply_refund, apply_transaction, end_unpaid
from payments.service_layer.payouts import iso_week, run_settlement
from servicekit.clock import system_clock
from servicekit.db import UnitOfWorkFactory
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.periodic import Periodic
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

BATCH = 50
# pg advisory lock key of the weekly payout run (any constant unique in this database).
_PAYOUT_LOCK = 0x5EC7_0017


@dataclass
class SweepResult:
    queried: int = 0
    closed: int = 0
    refunds_sent: int = 0
    refunds_queried: int = 0
    unreachable: int = 0


class Sweep:
    def __init__(self, uows: UnitOfWorkFactory, client: WechatPayClient, settings: Settings) -> None:
        self.uows = uows
        self.client = client
        self.after = timedelta(seconds=settings.sweep_after_seconds)

    async def run_once(self, now: datetime) -> SweepResult:
        result = SweepResult()
        await self._payments(now, result)
        await self._refunds(now, result)
        return result

    async def run_weekly_payouts(self, now: datetime) -> int:
        """The settlement run of the week that ended, for every community with couriers, once
        (the first sweep of a week does it; later ones find it done). One replica at a time."""
        week = iso_week(now - timedelta(days=7))
        async with self.uows() as uow:
            locked = await uow.session.execute(select(func.pg_try_advisory_xact_lock(_PAYOUT_LOCK)))
            if not locked.scalar_one():
                return 0
            communities = (
                await uow.session.execute(
                    select(ledger_accounts.c.community_id)
                    .where(ledger_accounts.c.kind == AccountKind.COURIER.value)
                    .distinct()
                )
            ).scalars()
            made = 0
            for community_id in list(communities):
                made += len(await run_settlement(uow, community_id, week, now))
            await uow.commit()
        if made:
            log.info("weekly_payouts", week=week, payouts=made)
        return made

    async def _payments(self, now: datetime, result: SweepResult) -> None:
        tried: list[uuid.UUID] = []  # once per round, whatever the answer
        for _ in range(BATCH):
            async with self.uows() as uow:
                row = (
                    (
                        await uow.session.execute(
                            select(payments)
                            .where(
                                payments.c.status == Status.PENDING.value,
                                payments.c.created_at <= now - self.after,
                                or_(
                                    payments.c.checked_at.is_(None), payments.c.checked_at <= now - self.after
                                ),
                                payments.c.id.not_in(tried),
                            )
                            .order_by(payments.c.created_at)
                            .limit(1)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .mappings()
                    .first()
                )
                if row is None:
                    return
                tried.append(row["id"])
                await uow.session.execute(
                    update(payments).where(payments.c.id == row["id"]).values(checked_at=now)
                )
                try:
                    transaction = await self.client.query(row["out_trade_no"])
                    result.queried += 1
                    state = transaction.get("trade_state")
                    if state in ("NOTPAY", "USERPAYING") and row["expires_at"] <= now:
                        await self.client.close(row["out_trade_no"])
                        await end_unpaid(uow, row, Action.CLOSE, now)
                        result.closed += 1
                    else:
                        await apply_transaction(uow, self.client, transaction, now)
                except WechatPayError as exc:
                    if exc.code == "ORDER_NOT_EXIST" and row["expires_at"] <= now:
                        await end_unpaid(uow, row, Action.CLOSE, now)
                        result.closed += 1
                    else:
                        result.unreachable += 1
                        log.warning("wechatpay_query_failed", code=exc.code, status=exc.status)
                await uow.commit()

    async def _refunds(self, now: datetime, result: SweepResult) -> None:
        tried: list[uuid.UUID] = []
        for _ in range(BATCH):
            async with self.uows() as uow:
                row = (
                    (
                        await uow.session.execute(
                            select(refunds, payments.c.out_trade_no, payments.c.amount_fen.label("total_fen"))
                            .select_from(refunds.join(payments, refunds.c.payment_id == payments.c.id))
                            .where(
                                or_(
                                    refunds.c.status == "pending",
                                    (refunds.c.status == "processing")
                                    & (refunds.c.updated_at <= now - self.after),
                                ),
                                refunds.c.id.not_in(tried),
                            )
                            .order_by(refunds.c.created_at)
                            .limit(1)
                            .with_for_update(of=refunds, skip_locked=True)
                        )
                    )
                    .mappings()
                    .first()
                )
                if row is None:
                    return
                tried.append(row["id"])
                await uow.session.execute(
                    update(refunds).where(refunds.c.id == row["id"]).values(updated_at=now)
                )
                try:
                    if row["status"] == "pending":
                        answer = await self.client.refund(
                            out_trade_no=row["out_trade_no"],
                            out_refund_no=row["out_refund_no"],
                            refund_fen=int(row["amount_fen"]),
                            total_fen=int(row["total_fen"]),
                            reason=_REASONS.get(row["reason"], "退款"),
                        )
                        result.refunds_sent += 1
                        answer.setdefault("out_refund_no", row["out_refund_no"])
                        answer.setdefault("out_trade_no", row["out_trade_no"])
                        if answer.get("status") == "PROCESSING" or answer.get("status") is None:
                            answer["status"] = "PROCESSING"
                    else:
                        answer = await self.client.query_refund(row["out_refund_no"])
                        result.refunds_queried += 1
                    await apply_refund(uow, self.client, answer, now)
                except WechatPayError as exc:
                    result.unreachable += 1
                    log.warning("wechatpay_refund_failed", code=exc.code, status=exc.status)
                await uow.commit()


_REASONS = {
    "order_cancelled": "跑腿订单已取消",
    "order_expired": "跑腿订单无人接单",
    "order_failed": "跑腿订单未完成",
    "manual": "退款",
    "overpaid": "重复支付退款",
}


def sweep_hook() -> Callable[
    [FastAPI, ServiceRuntime], contextlib.AbstractAsyncContextManager[Mapping[str, HealthCheck]]
]:
    """The lifespan hook: the WeChat Pay client on app.state.wechatpay (None while unconfigured) and
    the sweep on app.state.sweep, run every `sweep_interval_seconds` (0: tests drive it) at the
    time of app.state.clock."""

    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
        settings = runtime.settings
        assert isinstance(settings, Settings)
        config = settings.wechatpay
        client = WechatPayClient(config) if config is not None else None
        app.state.wechatpay = client
        sweep = Sweep(runtime.uow, client, settings) if client is not None else None
        app.state.sweep = sweep
        if client is None:
            log.warning("wechatpay_not_configured")

        async def round_() -> None:
            if sweep is None:
                return
            now = getattr(app.state, "clock", system_clock)()
            await sweep.run_once(now)
            await sweep.run_weekly_payouts(now)

        interval = settings.sweep_interval_seconds if sweep is not None else 0
        try:
            async with Periodic("payments-sweep", interval, round_):
                yield {}
        finally:
            if client is not None:
                await client.aclose()

    return hook

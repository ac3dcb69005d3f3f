"""Timeouts that run inside the service, no human clicks: dispatching orders nobody accepted
expire; delivered orders complete by themselves after 24 h. Both emit their events.

`run_once(now)` does one pass and is what tests call with a moved clock; `TimeoutJobs.run`
loops it in the background. Rows are claimed with SKIP LOCKED, so replicas share the work and a
requester confirming at the same instant simply wins or loses the row lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from errand.adapters.tables import orders
from errand.domain.orders import OrderStatus
from errand.service_layer import fast_stats
from errand.service_layer import orders as order_cases
from errand.service_layer.context import ErrandContext
from errand.service_layer.views import feed_card
from servicekit.db import UnitOfWorkFactory
from servicekit.logging import get_logger
from servicekit.periodic import Periodic
from servicekit.photos import OrphanPhotoSweep

log = get_logger(__name__)


@dataclass(frozen=True)
class JobResult:
    expired: int
    completed: int


class TimeoutJobs:
    def __init__(
        self, ctx: ErrandContext, uows: UnitOfWorkFactory, *, photo_sweep: OrphanPhotoSweep | None = None
    ) -> None:
        self.ctx = ctx
        self.uows = uows
        self.photo_sweep = photo_sweep
        self._periodic: Periodic | None = None

    async def run_once(self, now: datetime) -> JobResult:
        expired = await self._expire(now)
        completed = await self._auto_complete(now)
        return JobResult(expired, completed)

    async def _expire(self, now: datetime) -> int:
        batch = self.ctx.settings.jobs_batch_size
        async with self.uows() as uow:
            rows = (
                await uow.session.execute(
                    select(orders)
                    .where(
                        orders.c.status == OrderStatus.DISPATCHING.value, orders.c.dispatch_expires_at <= now
                    )
                    .order_by(orders.c.dispatch_expires_at)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await order_cases.expire(uow, row, at=now)
            await uow.commit()
        for row in rows:
            await self.ctx.index.remove_open(row.community_id, row.id)
        return len(rows)

    async def _auto_complete(self, now: datetime) -> int:
        batch = self.ctx.settings.jobs_batch_size
        async with self.uows() as uow:
            rows = (
                await uow.session.execute(
                    select(orders)
                    .where(orders.c.status == OrderStatus.DELIVERED.value, orders.c.auto_complete_at <= now)
                    .order_by(orders.c.auto_complete_at)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await order_cases.complete(uow, row, at=now, actor=None, auto=True)
            await uow.commit()
        return len(rows)

    def start(self) -> None:
        self._periodic = Periodic(
            "errand-timeout-jobs", self.ctx.settings.jobs_interval_seconds, self.run_round, at_start=True
        )
        self._periodic.start()

    async def stop(self) -> None:
        if self._periodic is not None:
            await self._periodic.stop()
            self._periodic = None

    async def run_round(self) -> None:
        result = await self.run_once(self.ctx.now())
        if result.expired or result.completed:
            log.info("timeout_jobs_ran", expired=result.expired, completed=result.completed)
        if self.photo_sweep is not None:
            await self.photo_sweep.run_if_due()
        await fast_stats.fold(self.uows, self.ctx.settings.community_timezone)


async def rebuild_open_index(ctx: ErrandContext, uows: UnitOfWorkFactory) -> int:
    """Make Redis agree with PostgreSQL at start-up: index every dispatching order (idempotent)
    and drop indexed orders that are no longer open (a Redis update lost after a commit)."""
    async with uows() as uow:
        rows = (
            await uow.session.execute(select(orders).where(orders.c.status == OrderStatus.DISPATCHING.value))
        ).all()
    by_community: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_community.setdefault(row.community_id, []).append(row)
    open_ids = {row.id for row in rows}
    for community_id, order_id in await ctx.index.indexed_orders():
        if order_id not in open_ids:
            await ctx.index.remove_open(community_id, order_id)
    for community_id, community_rows in by_community.items():
        await ctx.index.add_open_many(
            community_id, [(r.id, r.lat, r.lng, r.elderly_alone, feed_card(r)) for r in community_rows]
        )
    return len(rows)

"""Background jobs of the reports service, driven by an injectable clock: the SLA watch (flags
overdue reports, stores the breach, puts them on the committee's supervision list, emits
`reports.report.overdue.v1`) and the 48-hour auto-close of resolved reports.

Each run works in small batches with `FOR UPDATE SKIP LOCKED`, so replicas share the work and a
report being edited by a request is simply picked up on the next run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import select, update

from contracts import ReportOverdueV1
from reports.adapters import repository as repo
from reports.adapters.tables import report_photos, reports
from reports.config import Settings
from reports.domain.model import AUTO_CLOSE_AFTER, RESOLVE_CLOCK_STATUSES, Action, Status
from reports.service_layer import fast_stats
from reports.service_layer.reports import record_transition
from servicekit.clock import system_clock
from servicekit.db import UnitOfWorkFactory
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.metrics import SLA_BREACHES
from servicekit.periodic import Periodic
from servicekit.photos import OrphanPhotoSweep, store_of
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

BATCH = 200


@dataclass(frozen=True)
class JobResult:
    overdue_accept: int = 0
    overdue_resolve: int = 0
    auto_closed: int = 0


class ReportJobs:
    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self.uows = uows

    async def run_once(self, now: datetime) -> JobResult:
        accept = await self._flag_overdue(now, "accept")
        resolve = await self._flag_overdue(now, "resolve")
        closed = await self._auto_close(now)
        return JobResult(accept, resolve, closed)

    async def _flag_overdue(self, now: datetime, kind: str) -> int:
        if kind == "accept":
            due, breached = reports.c.due_accept_at, reports.c.accept_breached_at
            statuses = [Status.SUBMITTED.value]
        else:
            due, breached = reports.c.due_resolve_at, reports.c.resolve_breached_at
            statuses = [s.value for s in RESOLVE_CLOCK_STATUSES]
        total = 0
        while True:
            async with self.uows() as uow:
                rows = (
                    (
                        await uow.session.execute(
                            select(reports)
                            .where(reports.c.status.in_(statuses), due < now, breached.is_(None))
                            .order_by(due)
                            .limit(BATCH)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .mappings()
                    .all()
                )
                for row in rows:
                    values = {breached.name: now, "supervised_at": row["supervised_at"] or now}
                    if row["supervised_at"] is None:
                        values["supervision_reason"] = "overdue"
                    await uow.session.execute(
                        update(reports).where(reports.c.id == row["id"]).values(**values)
                    )
                    await repo.add_timeline(
                        uow.session,
                        row,
                        at=now,
                        actor_id=None,
                        action=f"overdue_{kind}",
                        from_status=row["status"],
                        to_status=row["status"],
                        note=f"due {row[due.name].isoformat()}",
                    )
                    uow.emit(
                        ReportOverdueV1(
                            community_id=row["community_id"],
                            report_id=row["id"],
                            reporter_id=row["reporter_id"],
                            category=row["category"],
                            department=row["department"],
                            building=row["building"],
                            source_thread_id=row["source_thread_id"],
                            kind="accept" if kind == "accept" else "resolve",
                            due_at=row[due.name],
                            status=row["status"],
                            assignee_id=row["assignee_id"],
                        )
                    )
                await uow.commit()
            for row in rows:
                SLA_BREACHES.labels("reports", kind, str(row["department"])).inc()
            total += len(rows)
            if len(rows) < BATCH:
                return total

    async def _auto_close(self, now: datetime) -> int:
        total = 0
        while True:
            async with self.uows() as uow:
                rows = (
                    (
                        await uow.session.execute(
                            select(reports)
                            .where(
                                reports.c.status == Status.RESOLVED.value,
                                reports.c.resolved_at <= now - AUTO_CLOSE_AFTER,
                            )
                            .limit(BATCH)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .mappings()
                    .all()
                )
                for row in rows:
                    updated = (
                        (
                            await uow.session.execute(
                                update(reports)
                                .where(reports.c.id == row["id"])
                                .values(status=Status.CLOSED.value, closed_at=now, updated_at=now)
                                .returning(reports)
                            )
                        )
                        .mappings()
                        .one()
                    )
                    await record_transition(
                        uow,
                        updated,
                        actor_id=None,
                        action=Action.AUTO_CLOSE,
                        from_status=Status.RESOLVED,
                        now=now,
                        note="48h",
                    )
                await uow.commit()
            total += len(rows)
            if len(rows) < BATCH:
                return total


@contextlib.asynccontextmanager
async def report_jobs(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    """Lifespan hook: runs the jobs every `job_interval_seconds` (0: never, tests drive them)."""
    jobs = ReportJobs(runtime.uow)
    app.state.report_jobs = jobs
    settings = runtime.settings
    assert isinstance(settings, Settings)
    sweep = OrphanPhotoSweep(store_of(app), report_photos.c.path, runtime.uow)
    app.state.photo_sweep = sweep
    interval = float(getattr(runtime.settings, "job_interval_seconds", 60.0))

    async def round_() -> None:
        await jobs.run_once(system_clock())
        await sweep.run_if_due()

    async def fold() -> None:
        # Moves the statistics' change rows into their cells; the exact computation answers meanwhile.
        await fast_stats.fold(runtime.uow, settings.community_timezone)

    # Tests drive the jobs themselves (interval 0): then the fold does not run on its own either.
    fold_interval = settings.stats_fold_interval_seconds if interval > 0 else 0.0
    async with (
        Periodic("report-jobs", interval, round_),
        Periodic("stats-fold", fold_interval, fold, at_start=True),
    ):
        yield {}

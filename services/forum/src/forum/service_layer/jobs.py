"""Background jobs with an injectable clock: deliberation windows, overdue milestones, hotspot
detection, expired posting fingerprints. The lifespan runs `run_once(clock())` every interval;
tests call it with any time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from forum.config import Settings
from forum.domain.hotspots import BurstDetector
from forum.domain.text import Segmenter
from forum.service_layer import deliberations, hotspots
from forum.service_layer.common import PostingGuard
from servicekit.app import LifespanHook
from servicekit.db import UnitOfWorkFactory, exclusive_round
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.periodic import Periodic
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)


class ForumJobs:
    def __init__(
        self, uows: UnitOfWorkFactory, settings: Settings, segmenter: Segmenter, detector: BurstDetector
    ) -> None:
        self._uows = uows
        self._settings = settings
        self._segmenter = segmenter
        self.detector = detector

    async def run_once(self, now: datetime) -> dict[str, Any]:
        async with self._uows() as uow:
            deadlines = await deliberations.run_deadlines(uow, now)
        # Detection reads a month of mentions, decides and inserts: two replicas at once would both
        # find the same burst. The round is exclusive (the others skip it); the deadlines and the
        # fingerprints are safe with row locks and conditional updates alone.
        found: list[Any] = []
        async with exclusive_round(self._uows, "forum.hotspots") as mine:
            if mine:
                async with self._uows() as uow:
                    found = await hotspots.detect(
                        uow,
                        detector=self.detector,
                        segmenter=self._segmenter,
                        settings=self._settings,
                        now=now,
                    )
        async with self._uows() as uow:
            forgotten = await PostingGuard(
                per_minute=self._settings.posts_per_minute,
                duplicate_seconds=self._settings.duplicate_window_seconds,
            ).forget_expired(uow, now)
        return {**deadlines, "hotspots": found, "fingerprints_forgotten": forgotten}


def jobs_hook(settings: Settings, segmenter: Segmenter, detector: BurstDetector) -> LifespanHook:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
        jobs = ForumJobs(runtime.uow, settings, segmenter, detector)
        app.state.jobs = jobs

        async def round_() -> None:
            await jobs.run_once(app.state.clock())

        interval = settings.jobs_interval_seconds if settings.jobs_enabled else 0
        async with Periodic("forum-jobs", interval, round_):
            yield {}

    return hook

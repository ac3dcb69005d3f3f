"""The errand service's application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from fastapi import FastAPI

import errand.messages  # noqa: F401  (registers the problem codes)
from errand.adapters.geo_index import GeoIndex
from errand.adapters.tables import order_proof_photos
from errand.api import routers
from errand.config import Settings
from errand.consumers import handlers
from errand.service_layer.context import ErrandContext
from errand.service_layer.jobs import TimeoutJobs, rebuild_open_index
from servicekit import photos
from servicekit.app import LifespanHook, create_service_app
from servicekit.clock import Clock, system_clock
from servicekit.health import HealthCheck
from servicekit.runtime import ServiceRuntime
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def errand_components(settings: Settings, clock: Clock, *, run_jobs: bool) -> LifespanHook:
    """The Redis index, the context the routers use, and the timeout jobs in the background."""

    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
        ctx = ErrandContext(settings, GeoIndex(runtime.redis, settings.redis_key_prefix), clock)
        app.state.errand = ctx
        sweep = photos.OrphanPhotoSweep(photos.store_of(app), order_proof_photos.c.path, runtime.uow)
        app.state.photo_sweep = sweep
        jobs = TimeoutJobs(ctx, runtime.uow, photo_sweep=sweep)
        app.state.errand_jobs = jobs
        await rebuild_open_index(ctx, runtime.uow)
        if run_jobs:
            jobs.start()
        try:
            yield {}
        finally:
            await jobs.stop()

    return hook


def create_app(
    settings: BaseServiceSettings | None = None,
    *,
    clock: Clock = system_clock,
    run_jobs: bool = True,
    configure_logs: bool = True,
) -> FastAPI:
    """The service; tests inject the clock and run the timeout jobs themselves (`run_jobs=False`)."""
    resolved = settings or Settings()
    assert isinstance(resolved, Settings)
    return create_service_app(
        resolved,
        title="WeiLinli 跑腿服务 Errand: quotes, orders, courier dispatch",
        routers=routers,
        handlers=handlers,
        lifespan_hooks=[
            photos.photo_storage,  # before the components: the sweep uses the store
            errand_components(resolved, clock, run_jobs=run_jobs),
            photos.decoder_pool,
        ],
        configure_logs=configure_logs,
    )

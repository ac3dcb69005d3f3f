"""The forum service's application."""

from pathlib import Path

from fastapi import FastAPI

import forum.messages  # noqa: F401  (registers the service's problem codes)
from forum.api import routers
from forum.config import Settings
from forum.consumers import build_handlers
from forum.domain.hotspots import BurstDetector
from forum.domain.text import default_segmenter
from forum.service_layer.jobs import jobs_hook
from servicekit.app import create_service_app
from servicekit.clock import system_clock
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    forum_settings = settings if isinstance(settings, Settings) else Settings()
    segmenter = default_segmenter()
    app = create_service_app(
        forum_settings,
        title="WeiLinli 邻里喧 · 调解 · 议事厅 Forum: grievances, mediation, deliberation",
        routers=routers,
        handlers=build_handlers(segmenter, forum_settings.community_timezone),
        lifespan_hooks=[jobs_hook(forum_settings, segmenter, BurstDetector())],
    )
    # Tests move time by replacing this; every use case and job reads the time from it.
    app.state.clock = system_clock
    app.state.segmenter = segmenter

    return app

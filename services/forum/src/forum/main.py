"""The forum service's application."""

from pathlib import Path

from fastapi import FastAPI

from forum.api import routers
from forum.config import Settings
from forum.consumers import handlers
from servicekit.app import create_service_app
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="WeiLinli 邻里喧 · 调解 · 议事厅 Forum: grievances, mediation, deliberation",
        routers=routers,
        handlers=handlers,
    )

"""The reports service's application."""

from pathlib import Path

from fastapi import FastAPI

from reports.api import routers
from reports.config import Settings
from reports.consumers import handlers
from servicekit.app import create_service_app
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="WeiLinli 我要报事 Reports: repair reports, SLAs, Open311",
        routers=routers,
        handlers=handlers,
    )

"""The errand service's application."""

from pathlib import Path

from fastapi import FastAPI

from errand.api import routers
from errand.config import Settings
from errand.consumers import handlers
from servicekit.app import create_service_app
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="WeiLinli 跑腿服务 Errand: quotes, orders, courier dispatch",
        routers=routers,
        handlers=handlers,
    )

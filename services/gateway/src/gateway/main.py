"""The gateway service's application."""

from pathlib import Path

from fastapi import FastAPI

from gateway.adapters.upstreams import upstream_client
from gateway.api import routers
from gateway.config import Settings
from gateway.consumers import handlers
from servicekit.app import create_service_app
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="WeiLinli 网关 Gateway: identity, routing, rate limits, notifications",
        routers=routers,
        handlers=handlers,
        lifespan_hooks=[upstream_client],
    )

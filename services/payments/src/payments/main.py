"""The payments service's application."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

import payments.messages  # noqa: F401  (registers the service's problem codes)
from payments.api import routers
from payments.config import Settings
from payments.consumers import handlers
from payments.service_layer.sweep import sweep_hook
from servicekit.app import create_service_app
from servicekit.clock import system_clock
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: BaseServiceSettings | None = None,
    *,
    configure_logs: bool = True,
) -> FastAPI:
    # httpx logs every request to WeChat Pay at INFO; our own log lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_service_app(
        settings or Settings(),
        title="WeiLinli 支付 Payments: ledger, WeChat Pay, errand money, property fees",
        routers=routers,
        handlers=handlers,
        lifespan_hooks=[sweep_hook()],
        configure_logs=configure_logs,
    )

    # Tests move time by replacing this; every route and the sweep read the time from it.
    app.state.clock = system_clock
    return app

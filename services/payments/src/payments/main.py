"""The payments service's application."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import payments.messages  # noqa: F401  (registers the service's problem codes)
from payments.api import routers
from payments.config import Settings
from payments.consumers import handlers
from payments.domain.errors import DomainError
from payments.service_layer.sweep import sweep_hook
from servicekit.app import create_service_app
from servicekit.errors import problem_response
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: BaseServiceSettings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    # httpx logs every request to WeChat Pay at INFO; our own log lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_service_app(
        settings or Settings(),
        title="WeiLinli 支付 Payments: ledger, WeChat Pay, errand money, property fees",
        routers=routers,
        handlers=handlers,
        lifespan_hooks=[sweep_hook(clock)],
        configure_logs=configure_logs,
    )

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(
            request,
            code=exc.code,
            status=exc.status,
            params=exc.params,
            headers={"Retry-After": "5"} if exc.status == 503 else None,
        )

    app.add_exception_handler(DomainError, on_domain_error)
    return app

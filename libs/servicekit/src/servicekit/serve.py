"""Run one service: create its database, apply its migrations, serve it with uvicorn.

Each service's ``__main__`` calls :func:`serve`, so ``python -m errand`` is all a container or the
local runner needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from servicekit.logging import configure_logging, get_logger
from servicekit.migrations import migrate
from servicekit.settings import BaseServiceSettings


def serve(
    settings: BaseServiceSettings, create_app: Callable[[BaseServiceSettings], FastAPI], migrations: Path
) -> None:
    configure_logging(settings.service_name, settings.log_level)
    log = get_logger("servicekit.serve")
    asyncio.run(migrate(settings, migrations))
    log.info("migrations_applied")
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # our JSON logging is already configured
        access_log=False,  # request metrics and our own logs cover it without a line per request
        timeout_graceful_shutdown=15,
    )

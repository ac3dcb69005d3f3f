"""Run one service: create its database, apply its migrations, serve it with uvicorn.

Each service's ``__main__`` calls :func:`serve`, so ``python -m errand`` is all a container or the
local runner needs.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from servicekit.logging import configure_logging, get_logger
from servicekit.migrations import migrate
from servicekit.settings import BaseServiceSettings

# How every service's uvicorn is configured, wherever it is started (here, servicekit.stack, the
# tests' helpers). uvicorn's own proxy-header handling is off: by default it believes
# X-Forwarded-For from loopback and rewrites the client address before the application sees it,
# so a forged header would pick the address rate limits are charged to. Only the gateway's
# GATEWAY_TRUSTED_PROXIES decides whom to believe (gateway.edge.client_ip).
UVICORN_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "log_config": None,  # our JSON logging is already configured
    "access_log": False,  # request metrics and our own logs cover it without a line per request
}


def freeze_startup_heap() -> None:
    """Move everything allocated at start-up (modules, app, settings: ~130k objects) out of the
    cyclic collector's reach. Without it every full collection walks them all and stops the
    process for 70-120 ms, long enough for the outbox relay to fall behind."""
    gc.collect()
    gc.freeze()


def serve(
    settings: BaseServiceSettings, create_app: Callable[[BaseServiceSettings], FastAPI], migrations: Path
) -> None:
    """``python -m <service>``: migrate (under the advisory lock), then serve.
    ``python -m <service> migrate``: migrate and exit (the Kubernetes init container)."""
    configure_logging(settings.service_name, settings.log_level)
    log = get_logger("servicekit.serve")
    asyncio.run(migrate(settings, migrations))
    log.info("migrations_applied")
    if sys.argv[1:] == ["migrate"]:
        return
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=15,
        **UVICORN_OPTIONS,
    )

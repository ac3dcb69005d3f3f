"""create_service_app(): the FastAPI application every service is built on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from servicekit.auth import TokenVerifier, load_public_key
from servicekit.clock import DemoTimeMiddleware
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork
from servicekit.errors import install_error_handlers
from servicekit.health import HealthCheck, health_router
from servicekit.logging import configure_logging, correlation_id_var, get_logger
from servicekit.middleware import RequestContextMiddleware
from servicekit.openapi import install_docs, install_openapi, operation_id_function
from servicekit.runtime import ServiceRuntime
from servicekit.settings import BaseServiceSettings

log = get_logger(__name__)

# A hook a service adds to the lifespan (e.g. the gateway's HTTP client to its upstreams). It may
# return extra health checks.
LifespanHook = Callable[
    [FastAPI, ServiceRuntime], contextlib.AbstractAsyncContextManager[Mapping[str, HealthCheck]]
]


def create_service_app(
    settings: BaseServiceSettings,
    *,
    title: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    handlers: Mapping[str, EventHandler] | None = None,
    lifespan_hooks: Sequence[LifespanHook] = (),
    configure_logs: bool = True,
    expose_route_template: bool = True,
) -> FastAPI:
    """``expose_route_template``: answer with the matched route template in `X-Weilinli-Route`
    (for the gateway's metrics); the gateway, facing the public, sets it False."""
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, handlers=handlers)
        app.state.runtime = runtime
        app.state.settings = settings
        app.state.token_verifier = TokenVerifier(
            load_public_key(settings),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            algorithms=settings.jwt_algorithms,
            leeway_seconds=settings.jwt_leeway_seconds,
        )
        await runtime.start()
        app.state.health_checks = dict(runtime.health_checks)
        try:
            async with contextlib.AsyncExitStack() as hooks:
                for hook in lifespan_hooks:
                    app.state.health_checks.update(await hooks.enter_async_context(hook(app, runtime)))
                # Build /openapi.json off the event loop now, so the gateway's merged /docs does not
                # wait for (or, on a loaded machine, time out on) the first request building it.
                warm = asyncio.get_running_loop().run_in_executor(None, app.openapi)
                log.info("service_started", port=settings.http_port)
                try:
                    yield
                finally:
                    with contextlib.suppress(Exception):
                        await warm
        finally:
            await runtime.stop()
            log.info("service_stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id_function(settings.service_name),
    )
    install_openapi(app)
    install_docs(app)
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, service=settings.service_name, expose_route=expose_route_template
    )
    demo_secret = settings.demo_time_secret.get_secret_value()
    if settings.environment == "development" and demo_secret:
        # The demo seeder's past (servicekit.clock); never installed outside development.
        app.add_middleware(DemoTimeMiddleware, secret=demo_secret)
    app.include_router(health_router(settings.service_name))
    for router in routers:
        app.include_router(router)
    return app


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def get_uow(request: Request) -> UnitOfWork:
    """A unit of work for this request; its events carry the request id as correlation id."""
    runtime = get_runtime(request)
    return runtime.uow(correlation_id=correlation_id_var.get())


UoW = Annotated[UnitOfWork, Depends(get_uow)]

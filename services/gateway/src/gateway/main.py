"""The gateway service's application."""

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

import gateway.messages  # noqa: F401  (registers the gateway's problem codes)
from gateway.adapters.notify_hub import NotificationHub, hub_hook
from gateway.adapters.passwords import configure_hashing
from gateway.adapters.ratelimit import rate_limiter
from gateway.adapters.rights import rights_board
from gateway.adapters.signing import token_signer
from gateway.adapters.sms import sms_provider
from gateway.adapters.upstreams import upstream_client
from gateway.api import dev, routers
from gateway.api.docs import install_merged_openapi
from gateway.api.web import install_web
from gateway.config import Settings
from gateway.consumers import build_handlers
from gateway.edge import EdgeMiddleware
from gateway.service_layer.wechat_push import wechat_push_job
from servicekit.app import create_service_app
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    settings = settings or Settings()
    assert isinstance(settings, Settings)
    configure_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    hub = NotificationHub()
    app = create_service_app(
        settings,
        title="WeiLinli 网关 Gateway: identity, routing, rate limits, notifications",
        routers=routers,
        handlers=build_handlers(hub, lambda: app.state.sms),
        lifespan_hooks=[
            upstream_client,
            rate_limiter,
            rights_board,
            sms_provider,
            wechat_push_job,
            token_signer,
            hub_hook(hub),
        ],
        expose_route_template=False,
    )

    if settings.environment == "development":
        app.include_router(dev.router)
    install_merged_openapi(app)
    install_web(app, settings)
    # Inside the request-id middleware (so proxied requests carry its id) and outside the routes.
    # user_middleware[0] is the outermost layer; appending puts these just inside it.
    if settings.cors_allow_origins:
        app.user_middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_allow_origins),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Accept-Language",
                    "Idempotency-Key",
                    "X-Request-ID",
                ],
                expose_headers=["X-Request-ID", "Retry-After"],
                allow_credentials=False,
                max_age=600,
            )
        )
    app.user_middleware.append(Middleware(EdgeMiddleware, settings=settings))
    return app

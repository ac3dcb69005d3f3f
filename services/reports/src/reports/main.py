"""The reports service's application."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import reports.messages  # noqa: F401  (registers the service's problem codes)
from reports.api import routers
from reports.api.open311_format import Open311Error, error_response
from reports.config import Settings
from reports.consumers import handlers
from reports.service_layer.jobs import report_jobs
from servicekit import photos
from servicekit.app import create_service_app
from servicekit.domain import DomainError
from servicekit.errors import ProblemError
from servicekit.logging import get_logger
from servicekit.settings import BaseServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"
OPEN311_PREFIX = "/open311/"

log = get_logger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]


def create_app(settings: BaseServiceSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or Settings(),
        title="WeiLinli 我要报事 Reports: repair reports, SLAs, Open311",
        routers=routers,
        handlers=handlers,
        lifespan_hooks=[photos.photo_storage, report_jobs, photos.decoder_pool],
    )
    _open311_errors(app)
    return app


def _open311_errors(app: FastAPI) -> None:
    """Open311 clients expect `[{code, description}]`, not problem+json: every error under
    `/open311/` (our own, validation, unknown paths, unexpected) is answered in that shape."""

    async def on_open311(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return error_response(request.url.path, exc.status, exc.description)

    app.add_exception_handler(Open311Error, on_open311)
    for exc_class in (ProblemError, DomainError, RequestValidationError, StarletteHTTPException, Exception):
        original = cast(Handler, app.exception_handlers[exc_class])
        app.add_exception_handler(exc_class, _wrap(exc_class, original))


def _wrap(exc_class: type[Exception], original: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(OPEN311_PREFIX):
            return await original(request, exc)
        if isinstance(exc, ProblemError | DomainError):
            return error_response(request.url.path, exc.status, exc.code)
        if isinstance(exc, StarletteHTTPException):
            return error_response(request.url.path, exc.status_code, str(exc.detail))
        if isinstance(exc, RequestValidationError):
            return error_response(request.url.path, 400, "invalid parameters")
        log.error("unhandled_error", path=request.url.path, exc_info=exc)
        return error_response(request.url.path, 500, "internal error")

    return handler

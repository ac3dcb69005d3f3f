"""problem+json (RFC 9457) errors with stable codes, localised from Accept-Language.

Domain rules and use cases raise ``servicekit.domain.DomainError(code, status, **params)``; the
edges (routers, middleware, the gateway's proxy) may raise ``ProblemError`` when they need headers
or extra body fields. Both, and validation, routing and unexpected errors, are answered in the
same shape here (one handler each, for every service). No stack trace, SQL or exception text
ever reaches a client: unexpected errors are logged with their traceback, answered with
``internal_error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.domain import DomainError
from servicekit.i18n import negotiate_locale, translate, validation_message
from servicekit.logging import get_logger, request_id_var
from servicekit.text import TEXT_ERROR, TEXT_PROBLEM

PROBLEM_CONTENT_TYPE = "application/problem+json"

log = get_logger(__name__)


class ProblemError(Exception):
    """An error the client can act on: an HTTP status, a stable code, optional parameters."""

    def __init__(
        self,
        code: str,
        status: int,
        *,
        params: Mapping[str, object] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = dict(params or {})
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class NotFound(DomainError):
    """Also the answer for another user's object, so ids cannot be probed (OWASP API1)."""

    def __init__(self) -> None:
        super().__init__("not_found", 404)


def problem_body(
    *,
    code: str,
    status: int,
    locale: str,
    request_id: str | None,
    params: Mapping[str, object] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    title, detail = translate(code, locale, params)
    body: dict[str, Any] = {
        "type": f"urn:weilinli:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    return body


def problem_response(
    request: Request,
    *,
    code: str,
    status: int,
    params: Mapping[str, object] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    request_id = _request_id(request)
    body = problem_body(
        code=code,
        status=status,
        locale=negotiate_locale(request.headers.get("accept-language")),
        request_id=request_id,
        params=params,
        errors=errors,
        extra=extra,
    )
    response_headers = dict(headers or {})
    if request_id:
        response_headers.setdefault("X-Request-ID", request_id)
    response_headers.setdefault("Content-Language", _content_language(request))
    return JSONResponse(body, status_code=status, headers=response_headers, media_type=PROBLEM_CONTENT_TYPE)


def _content_language(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"))


def _request_id(request: Request) -> str | None:
    # The request-id middleware keeps the id in the scope too: a 500 is answered by Starlette's
    # outermost middleware after the context variable may already be gone.
    state = request.scope.get("state") or {}
    return state.get("request_id") or request_id_var.get()


def _validation_errors(exc: RequestValidationError, locale: str) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        code = error.get("type", "invalid")
        # pydantic's English said again in the caller's language (its own text where nothing better
        # is known and the caller reads English).
        message = validation_message(code, error.get("ctx"), locale, fallback=error.get("msg"))
        out.append(
            {
                "field": ".".join(location[1:]) if len(location) > 1 else ".".join(location),
                "in": location[0] if location else "body",
                "code": code,
                "message": message,
            }
        )
    return out


_HTTP_CODES = {
    400: "validation_failed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    503: "service_unavailable",
}


# PostgreSQL refused a new connection for lack of room: too_many_connections (server or role limit),
# cannot_connect_now (starting up or shutting down).
_BUSY_SQLSTATES = frozenset({"53300", "57P03"})


def _sqlstate(exc: DBAPIError) -> str | None:
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            request,
            code=exc.code,
            status=exc.status,
            params=exc.params,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        # A rule that says when to try again (`retry_after` seconds) says it in the header too.
        retry = exc.params.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return problem_response(
            request, code=exc.code, status=exc.status, params=exc.params, headers=headers, extra=exc.extra
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc, negotiate_locale(request.headers.get("accept-language")))
        # Only refused characters: a code of its own, so clients can say what is wrong.
        code = (
            TEXT_PROBLEM if errors and all(e["code"] == TEXT_ERROR for e in errors) else "validation_failed"
        )
        return problem_response(request, code=code, status=422, errors=errors)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _HTTP_CODES.get(status, "validation_failed" if status < 500 else "internal_error")
        return problem_response(request, code=code, status=status, headers=exc.headers)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if exc.connection_invalidated:
            # The database dropped the connection (restart, failover): nothing was committed and
            # the pool is already being refreshed, so the client may simply try again.
            log.warning("database_connection_lost", path=request.url.path, error=type(exc.orig).__name__)
            return problem_response(
                request, code="service_unavailable", status=503, headers={"Retry-After": "1"}
            )
        if _sqlstate(exc) in _BUSY_SQLSTATES:
            return busy(request, reason=type(exc.orig).__name__)
        return await on_unexpected(request, exc)

    async def on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
        # Every pooled connection was busy for db_pool_timeout_seconds.
        return busy(request, reason="pool_timeout")

    def busy(request: Request, *, reason: str) -> JSONResponse:
        log.warning("database_busy", path=request.url.path, reason=reason)
        return problem_response(request, code="service_busy", status=503, headers={"Retry-After": "1"})

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette answers a 500 outside the request-id middleware, whose context is gone by now.
        request_id = _request_id(request)
        log.error(
            "unhandled_error",
            request_id=request_id,
            correlation_id=request_id,
            path=request.url.path,
            method=request.method,
            exc_info=exc,
        )
        return problem_response(request, code="internal_error", status=500)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(PoolTimeoutError, on_pool_timeout)
    app.add_exception_handler(Exception, on_unexpected)

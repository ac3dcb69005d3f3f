"""How every service describes itself: /openapi.json, /docs and /redoc.

- /docs (Swagger UI) and /redoc load their assets from the service itself (the files the
  `fastapi-offline` package ships), so the pages render on a machine without internet.
- Operation ids are `<service>_<route function>`, stable across FastAPI versions and unique in the
  gateway's merged document (the service prefix keeps two services' `get_order` apart).
- A Bearer (JWT) scheme, `bearerAuth`, on every operation that reads the caller's token (FastAPI
  adds it from the security dependency in servicekit.auth); the Authorize button in /docs.
- A text or image body (CSV, Server-Sent Events, photos) is described as a string.
- Every operation documents its 4xx as application/problem+json (the `Problem` schema; validation
  errors included, which FastAPI would otherwise describe as its own JSON) and takes the
  `Accept-Language` header that picks the problem's language.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from servicekit.errors import PROBLEM_CONTENT_TYPE
from servicekit.i18n import SUPPORTED_LOCALES, known_codes

DOCS_ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
BEARER_SCHEME = "bearerAuth"
PROBLEM_SCHEMA = "Problem"
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

PROBLEM_JSON_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_SCHEMA,
    "type": "object",
    "description": "An error (RFC 9457). `code` is stable and meant for programs; `title` and "
    "`detail` are in the language Accept-Language chose.",
    "required": ["type", "title", "status", "detail", "code", "request_id"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:weilinli:problem:not_found"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["not_found", "validation_failed", "forbidden"]},
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "errors": {
            "type": "array",
            "description": "One entry per invalid field (validation_error).",
            "items": {"type": "object", "additionalProperties": True},
        },
    },
    "additionalProperties": True,
}

ACCEPT_LANGUAGE_PARAMETER: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": f"The language of problem titles and details: one of {', '.join(SUPPORTED_LOCALES)} "
    "(q-values honoured; zh-CN when none matches).",
    "schema": {"type": "string", "examples": ["zh-CN", "en", "ko"]},
}

# For a route that answers 202 with no result (its function returns None, so the body is `null`).
ACCEPTED_NO_BODY: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted; the body is JSON null",
        "content": {"application/json": {"schema": {"type": "null"}}},
    }
}


def operation_id_function(service: str) -> Any:
    """FastAPI's generate_unique_id_function: `<service>_<route function name>`."""

    def generate(route: APIRoute) -> str:
        return f"{service}_{route.name}"

    return generate


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the Problem schema, problem+json 4xx responses and Accept-Language to every operation;
    keep operation ids unique (a route answering several methods gets `_<method>` appended)."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = copy.deepcopy(PROBLEM_JSON_SCHEMA)
    # The codes this service can answer with (each has zh-CN, en and ko messages).
    problem["properties"]["code"]["description"] = "One of: " + ", ".join(sorted(known_codes()))
    schemas[PROBLEM_SCHEMA] = problem
    counts: dict[str, int] = {}
    operations = [
        (method, operation)
        for item in spec.get("paths", {}).values()
        for method, operation in item.items()
        if method in _METHODS
    ]
    for _, operation in operations:
        counts[operation.get("operationId", "")] = counts.get(operation.get("operationId", ""), 0) + 1
    for method, operation in operations:
        if counts.get(operation.get("operationId", ""), 0) > 1:
            operation["operationId"] = f"{operation['operationId']}_{method}"
        parameters = operation.setdefault("parameters", [])
        if not any(
            p.get("in") == "header" and p.get("name", "").lower() == "accept-language" for p in parameters
        ):
            parameters.append(dict(ACCEPT_LANGUAGE_PARAMETER))
        responses = operation.setdefault("responses", {})
        _type_raw_bodies(responses)
        for status, response in list(responses.items()):
            if str(status).startswith("4"):
                description = "Validation error" if str(status) == "422" else response.get("description")
                responses[status] = {
                    "description": description or "Problem (RFC 9457)",
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(_PROBLEM_REF)}},
                }
        responses.setdefault(
            "4XX",
            {
                "description": "Problem (RFC 9457)",
                "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(_PROBLEM_REF)}},
            },
        )
    # FastAPI's own validation schemas are referenced no more: every 422 is a Problem here.
    for name in ("HTTPValidationError", "ValidationError"):
        others = {key: value for key, value in schemas.items() if key != name}
        if f'"#/components/schemas/{name}"' not in json.dumps([spec.get("paths"), others]):
            schemas.pop(name, None)
    return spec


def _type_raw_bodies(responses: dict[str, Any]) -> None:
    """A CSV, an event stream or a photo is a string (binary for images), said once here rather
    than in every route that streams one."""
    for response in responses.values():
        for media_type, content in response.get("content", {}).items():
            if content.get("schema"):
                continue
            if media_type.startswith(("image/", "application/octet-stream")):
                content["schema"] = {"type": "string", "format": "binary"}
            elif media_type.startswith("text/"):
                content["schema"] = {"type": "string"}


def install_openapi(app: FastAPI) -> None:
    """app.openapi() builds FastAPI's document once and describes it as above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_docs(app: FastAPI) -> None:
    """/docs and /redoc with their assets served from this app (the app is built with
    docs_url=None and redoc_url=None)."""
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect_url}",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

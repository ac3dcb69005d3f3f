"""How the services describe themselves (servicekit.openapi): /docs and /redoc render with no
network, every operation id is stable and unique across the gateway's merged document, the Bearer
scheme is declared where a token is read, and every 4xx is documented as problem+json with
Accept-Language."""

from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel

from gateway.api.docs import merge_specs
from servicekit.errors import PROBLEM_CONTENT_TYPE

SERVICES = ["errand", "reports", "forum", "payments", "gateway"]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# FastAPI's generated ids carry the path and method: `create_order_api_v1_errand_orders_post`.
GENERATED_ID = re.compile(r"_api_v1_|_health_|_open311_|_metrics_")


def build_app(service: str) -> FastAPI:
    main = importlib.import_module(f"{service}.main")
    settings = importlib.import_module(f"{service}.config").Settings()
    app: FastAPI = main.create_app(settings)
    return app


@pytest.fixture(scope="module")
def specs() -> dict[str, dict[str, Any]]:
    return {service: build_app(service).openapi() for service in SERVICES}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_service(service: str, page: str) -> None:
    app = build_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        html = await client.get(page)
        assert html.status_code == 200
        parser = _Assets()
        parser.feed(html.text)
        # Inline scripts name URLs too (Swagger UI's `url: '/openapi.json'`); none may leave the server.
        assert not re.findall(r"https?://[^\s'\"]+", html.text), html.text
        assets = [url for url in parser.urls if not url.startswith("#")]
        assert len(assets) >= (3 if page == "/docs" else 2), assets
        for url in assets:
            assert not urlsplit(url).netloc, url
            answer = await client.get(url)
            assert answer.status_code == 200, url
            assert len(answer.content) > 1000, url


def test_operation_ids_are_the_service_and_function_names_and_unique_when_merged(
    specs: dict[str, dict[str, Any]],
) -> None:
    upstreams = {service: specs[service] for service in SERVICES if service != "gateway"}
    merged = merge_specs(specs["gateway"], upstreams)
    ids = [operation["operationId"] for _, _, operation in operations(merged)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert not [i for i in ids if GENERATED_ID.search(i)]
    for service, spec in specs.items():
        assert all(op["operationId"].startswith(f"{service}_") for _, _, op in operations(spec))
    assert "errand_create_order" in ids
    assert "forum_escalate_thread" in ids
    assert "forum_escalate_dispute" in ids


def test_bearer_scheme_is_declared_and_applied_where_a_token_is_read(
    specs: dict[str, dict[str, Any]],
) -> None:
    merged = merge_specs(specs["gateway"], {s: specs[s] for s in SERVICES if s != "gateway"})
    for spec in [*specs.values(), merged]:
        scheme = spec["components"]["securitySchemes"]["bearerAuth"]
        assert scheme == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": scheme["description"],
        }
    secured = {
        (path, method)
        for path, method, op in operations(merged)
        if {"bearerAuth": []} in op.get("security", [])
    }
    assert ("/api/v1/errand/orders", "post") in secured
    assert ("/api/v1/forum/threads", "get") in secured
    assert ("/api/v1/auth/login", "post") not in secured  # no token needed to get one
    assert ("/health/live", "get") not in {
        (p, m) for p, m, _ in operations(specs["errand"]) if (p, m) in secured
    }


def test_every_operation_documents_problems_and_accept_language(specs: dict[str, dict[str, Any]]) -> None:
    merged = merge_specs(specs["gateway"], {s: specs[s] for s in SERVICES if s != "gateway"})
    for name, spec in [*specs.items(), ("merged", merged)]:
        problem = "Problem" if name != "merged" else None
        for path, method, operation in operations(spec):
            where = (name, path, method)
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            assert "Accept-Language" in headers, where
            fours = {status: r for status, r in operation["responses"].items() if str(status).startswith("4")}
            assert "4XX" in fours, where
            for response in fours.values():
                assert list(response["content"]) == [PROBLEM_CONTENT_TYPE], where
                ref = response["content"][PROBLEM_CONTENT_TYPE]["schema"]["$ref"]
                assert ref.endswith("Problem"), where
                if problem:
                    assert ref == f"#/components/schemas/{problem}", where
        if name != "merged":
            schema = spec["components"]["schemas"]["Problem"]
            assert set(schema["properties"]) == {
                "type",
                "title",
                "status",
                "detail",
                "code",
                "request_id",
                "errors",
            }
            assert "HTTPValidationError" not in spec["components"]["schemas"]
            codes = schema["properties"]["code"]["description"]
            assert "validation_failed" in codes
            assert "unauthorized" in codes


def _loose(schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A schema a client generator cannot type: missing, `{}`, or an object with no properties
    (FastAPI's `dict[str, Any]`), followed through `$ref`, arrays and unions."""
    ref = schema.get("$ref")
    if ref:
        return _loose(spec["components"]["schemas"][ref.rsplit("/", 1)[-1]], spec)
    if schema.get("type") == "array":
        return _loose(schema.get("items") or {}, spec)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return any(_loose(option, spec) for option in options if option.get("type") != "null")
    if schema.get("type") == "object":
        return not schema.get("properties")
    return not schema.get("type")


def untyped_successes(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, status) of every answer a typed client could not be generated for: an
    operation with no 2xx at all (status "2xx"), a 2xx other than 204 that declares no body, and
    a 2xx body whose schema is loose (see _loose)."""
    found = []
    for path, method, operation in operations(spec):
        successes = {str(s): r for s, r in operation["responses"].items() if str(s).startswith("2")}
        if not successes:
            found.append((method, path, "2xx"))
        for status, response in successes.items():
            contents = response.get("content", {})
            if not contents and status != "204":
                found.append((method, path, status))
            for content in contents.values():
                if _loose(content.get("schema") or {}, spec):
                    found.append((method, path, status))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_success_has_a_typed_schema(specs: dict[str, dict[str, Any]], service: str) -> None:
    assert untyped_successes(specs[service]) == []


def test_every_success_of_the_merged_document_has_a_typed_schema(specs: dict[str, dict[str, Any]]) -> None:
    merged = merge_specs(specs["gateway"], {s: specs[s] for s in SERVICES if s != "gateway"})
    every = {(path, method) for spec in specs.values() for path, method, _ in operations(spec)}
    assert {(path, method) for path, method, _ in operations(merged)} == every
    assert untyped_successes(merged) == []


class _Empty(BaseModel):
    pass


class _Typed(BaseModel):
    id: str


def test_the_untyped_count_sees_every_untyped_answer() -> None:
    """The count above is not blind: a `dict[str, Any]` answer, a list of them, a model with no
    fields, an answer with no body declared and a raw Response are each found; typed ones are not."""
    app = FastAPI()

    @app.get("/loose")
    async def loose() -> dict[str, Any]:
        return {}

    @app.get("/loose-list")
    async def loose_list() -> list[dict[str, Any]]:
        return []

    @app.get("/empty")
    async def empty() -> _Empty:
        return _Empty()

    @app.get("/raw")
    async def raw() -> Response:
        return Response()

    @app.get("/undeclared", responses={200: {"description": "no body said"}}, response_model=None)
    async def undeclared() -> None:
        return None

    @app.get("/typed")
    async def typed() -> list[_Typed]:
        return []

    @app.delete("/gone", status_code=204, response_model=None)
    async def gone() -> Response:
        return Response(status_code=204)

    assert sorted(untyped_successes(app.openapi())) == [
        ("get", "/empty", "200"),
        ("get", "/loose", "200"),
        ("get", "/loose-list", "200"),
        ("get", "/raw", "200"),
        ("get", "/undeclared", "200"),
    ]

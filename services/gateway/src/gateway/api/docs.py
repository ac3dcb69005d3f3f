"""/openapi.json for the whole platform: the gateway's own paths merged with the three services'.

Each service's paths are taken under the prefixes the gateway routes to it (the same URLs work
through the gateway), and its component schemas are renamed `<service>.<Name>` so that two
services' `OrderOut` or `Problem` never collide; the services' security schemes (the one Bearer
scheme) are kept under their own names. Operation ids need no renaming: each service's start with
its name (servicekit.openapi). A service that does not answer is left out (and
named in `x-weilinli-unavailable`) rather than failing the docs.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.config import Settings
from gateway.edge import PROXY_PREFIXES

_CACHE_SECONDS = 30.0
# A document missing a service is kept only briefly: the service is probably starting.
_INCOMPLETE_CACHE_SECONDS = 3.0
_SCHEMA_REF = "#/components/schemas/"


def _rename_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                f"{_SCHEMA_REF}{service}.{value[len(_SCHEMA_REF) :]}"
                if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF)
                else _rename_refs(value, service)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, service) for item in node]
    return node


def merge_specs(own: dict[str, Any], upstream_specs: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    merged = copy.deepcopy(own)
    paths = merged.setdefault("paths", {})
    components = merged.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    tags = {tag["name"] for tag in merged.get("tags", [])}
    unavailable = []
    for service, spec in upstream_specs.items():
        if spec is None:
            unavailable.append(service)
            continue
        prefixes = tuple(prefix for prefix, name in PROXY_PREFIXES.items() if name == service)
        renamed = _rename_refs(spec, service)
        for path, item in renamed.get("paths", {}).items():
            if path.startswith(prefixes):
                paths[path] = item
        for name, schema in renamed.get("components", {}).get("schemas", {}).items():
            schemas[f"{service}.{name}"] = schema
        # Every service declares the same Bearer scheme (servicekit.auth): one entry serves all.
        for name, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
            components.setdefault("securitySchemes", {}).setdefault(name, scheme)
        for tag in spec.get("tags", []):
            if tag["name"] not in tags:
                merged.setdefault("tags", []).append(tag)
                tags.add(tag["name"])
    if unavailable:
        merged["x-weilinli-unavailable"] = unavailable
    return merged


async def _fetch(session: aiohttp.ClientSession, url: str, timeout_seconds: float) -> dict[str, Any] | None:
    try:
        async with session.get(
            f"{url}/openapi.json", timeout=aiohttp.ClientTimeout(total=timeout_seconds)
        ) as response:
            if response.status != 200:
                return None
            body = await response.json()
            return body if isinstance(body, dict) else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


def install_merged_openapi(app: FastAPI) -> None:
    """Replace FastAPI's /openapi.json (which /docs reads) with the merged document."""
    app.router.routes = [
        route for route in app.router.routes if getattr(route, "path", None) != "/openapi.json"
    ]
    cached: dict[str, Any] = {"at": 0.0, "spec": None}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        spec = cached["spec"]
        max_age = _INCOMPLETE_CACHE_SECONDS if spec and "x-weilinli-unavailable" in spec else _CACHE_SECONDS
        if spec is None or time.monotonic() - cached["at"] > max_age:
            settings: Settings = request.app.state.settings
            session: aiohttp.ClientSession = request.app.state.upstream_session
            names = list(settings.upstreams)
            fetched = await asyncio.gather(
                *(
                    _fetch(session, settings.upstreams[name], settings.upstream_health_timeout_seconds)
                    for name in names
                )
            )
            cached["spec"] = merge_specs(app.openapi(), dict(zip(names, fetched, strict=True)))
            cached["at"] = time.monotonic()
        return JSONResponse(cached["spec"])

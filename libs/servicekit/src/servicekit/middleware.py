"""Request ids and request metrics, as one plain ASGI middleware (no BaseHTTPMiddleware: it would
cost a task and a copy per request on the hot path)."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logging import correlation_id_var, request_id_var
from servicekit.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = "x-request-id"
# The route template a service matched, in its answer: the gateway labels its proxy metrics with it
# and strips it (gateway/metrics.py). A template is public (it is in the OpenAPI description).
ROUTE_HEADER = b"x-weilinli-route"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """Keep a caller's id when it is sane (it ties our logs to the caller's); otherwise make one."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, expose_route: bool = False) -> None:
        self.app = app
        self.service = service
        self.expose_route = expose_route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accept_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        rid_token = request_id_var.set(request_id)
        cid_token = correlation_id_var.set(request_id)
        status_holder = [500]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                if self.expose_route:
                    matched = getattr(scope.get("route"), "path", None)
                    if matched:
                        headers.append((ROUTE_HEADER, matched.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # A route of this app, else the label an inner layer chose (the gateway's proxied
            # requests: the upstream's template or a routed prefix), else "unmatched".
            route = scope.get("route")
            template = (
                getattr(route, "path", None) or (scope.get("state") or {}).get("route_label") or "unmatched"
            )
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, template, str(status_holder[0])).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(time.perf_counter() - started)
            request_id_var.reset(rid_token)
            correlation_id_var.reset(cid_token)

"""Prometheus metrics shared by every service, labelled by service name."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

HTTP_REQUESTS = Counter(
    "weilinli_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "weilinli_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter("weilinli_events_published_total", "Outbox rows published", ["service"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "weilinli_outbox_publish_failures_total", "Outbox batches that failed to publish", ["service"]
)
EVENTS_CONSUMED = Counter(
    "weilinli_events_consumed_total", "Events handled by consumers", ["service", "event_type", "outcome"]
)
EVENT_HANDLER_SECONDS = Histogram(
    "weilinli_event_handler_seconds",
    "Consumer handler time, inbox and commit included",
    ["service", "event_type"],
)
CONSUMER_IN_FLIGHT = Gauge("weilinli_consumer_in_flight", "Messages being handled now", ["service"])


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

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
EVENTS_PUBLISHED = Counter(
    "weilinli_events_published_total",
    "Outbox rows published (confirmed by the broker)",
    ["service", "event_type"],
)
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
# Consumer lag: from the event's occurred_at to this service handling it (redeliveries included).
EVENT_LAG_SECONDS = Histogram(
    "weilinli_event_lag_seconds",
    "Time from an event occurring to this service handling it",
    ["service", "event_type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
# Sampled every metrics_interval_seconds by servicekit.observability (one query, two passive
# queue declarations); every replica reports the same figures, so rules take max by service.
OUTBOX_BACKLOG = Gauge("weilinli_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge(
    "weilinli_outbox_oldest_seconds", "Age of the oldest unpublished outbox row (0 when empty)", ["service"]
)
QUEUE_MESSAGES = Gauge(
    "weilinli_queue_messages",
    "Messages ready in the service's queue (consumer backlog) and in its dead-letter queue",
    ["service", "queue"],
)
# SLA breaches (reports: a report not accepted / not resolved in time), by kind and department
# (a closed set; categories are per community and would not be).
SLA_BREACHES = Counter(
    "weilinli_sla_breaches_total",
    "SLA deadlines missed, counted when flagged",
    ["service", "kind", "department"],
)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

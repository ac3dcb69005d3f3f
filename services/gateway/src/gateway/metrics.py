"""The gateway's own Prometheus metrics: proxied traffic per upstream route, breaker state and
rate-limit refusals (the generic request metrics are servicekit.metrics).

Route labels stay bounded: a proxied request is labelled with the route template the upstream
matched, which the service names in its `X-Weilinli-Route` answer header (servicekit.middleware;
the gateway strips it). A template is taken only when it looks like one and lies under a prefix
routed to that upstream, and at most ``MAX_TEMPLATES_PER_UPSTREAM`` distinct templates per upstream
are kept; anything else, and every request that got no answer from the upstream (breaker open,
timeout), is labelled with the routed prefix, e.g. ``/api/v1/errand/*``. So the label set is at
most the services' route tables plus one label per prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from prometheus_client import Counter, Gauge, Histogram

from gateway.adapters.breaker import BreakerState, CircuitBreaker

ROUTE_HEADER = b"x-weilinli-route"
MAX_TEMPLATES_PER_UPSTREAM = 300
_TEMPLATE = re.compile(r"/[A-Za-z0-9_{}./:-]{0,200}")

PROXY_REQUESTS = Counter(
    "weilinli_gateway_proxy_requests_total",
    "Requests the gateway proxied, by upstream, route template and status class",
    ["upstream", "method", "route", "status_class"],
)
PROXY_SECONDS = Histogram(
    "weilinli_gateway_proxy_request_seconds",
    "Time from the gateway taking a proxied request to its answer starting",
    ["upstream", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BREAKER_STATE = Gauge(
    "weilinli_gateway_breaker_state",
    "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
    ["upstream"],
)
RATE_LIMITED = Counter(
    "weilinli_gateway_rate_limited_total",
    "Requests refused with 429 by the gateway's rate limits",
    ["limit"],
)

_STATE_VALUE = {BreakerState.CLOSED: 0.0, BreakerState.HALF_OPEN: 1.0, BreakerState.OPEN: 2.0}


def export_breakers(breakers: Mapping[str, CircuitBreaker]) -> None:
    """Read each breaker's state at scrape time (an open breaker turns half-open with time)."""
    for name, breaker in breakers.items():
        BREAKER_STATE.labels(name).set_function(_reader(breaker))


def _reader(breaker: CircuitBreaker) -> Callable[[], float]:
    return lambda: _STATE_VALUE[breaker.state]


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class RouteLabels:
    """Bounded route labels for one upstream."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        self._known: set[str] = set()

    def fallback(self, path: str) -> str:
        for prefix in self.prefixes:
            if path.startswith(prefix):
                return f"{prefix}/*"
        return "unmatched"

    def label(self, path: str, template: bytes | None) -> str:
        if template is None:
            return self.fallback(path)
        value = template.decode("latin-1")
        if value in self._known:
            return value
        if (
            _TEMPLATE.fullmatch(value)
            and any(value == p or value.startswith(p + "/") for p in self.prefixes)
            and len(self._known) < MAX_TEMPLATES_PER_UPSTREAM
        ):
            self._known.add(value)
            return value
        return self.fallback(path)

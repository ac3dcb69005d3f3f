"""The one clock: every use case, job and router reads the time through a `Clock`, the system's
UTC time unless a test replaces it (errand's context, the forum's and the reports' `app.state.clock`).

Development only, the demo seeder's time (docs/architecture.md, "The demo community's past"): a
request carrying ``X-Weilinli-Demo-Time`` *and* the seeding secret of this run
(``X-Weilinli-Demo-Secret`` equal to ``WEILINLI_DEMO_TIME_SECRET``) is handled as if it happened
then: `system_clock()` answers that instant for the request's task, so the use cases stamp their
rows and their events' ``occurred_at`` with it. `DemoTimeMiddleware` is installed only when the
service's environment is development and the secret is set; settings refuse the secret in any other
environment (servicekit.settings), so a production service never reads either header.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "DEMO_SECRET_HEADER",
    "DEMO_TIME_HEADER",
    "Clock",
    "DemoTimeMiddleware",
    "demo_time",
    "system_clock",
]

Clock = Callable[[], datetime]

DEMO_TIME_HEADER = "X-Weilinli-Demo-Time"
DEMO_SECRET_HEADER = "X-Weilinli-Demo-Secret"  # noqa: S105 - a header's name, not a secret

# The instant a development seeding request happens at (None: the real time).
demo_time: ContextVar[datetime | None] = ContextVar("weilinli_demo_time", default=None)


def system_clock() -> datetime:
    """Now, aware, in UTC (in development, the demo seeder's instant for its requests)."""
    return demo_time.get() or datetime.now(UTC)


def parse_demo_time(value: str) -> datetime | None:
    """An aware ISO 8601 instant not in the future, else None (the header is then ignored)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    if at.tzinfo is None or at > datetime.now(UTC):
        return None
    return at.astimezone(UTC)


class DemoTimeMiddleware:
    """Sets `demo_time` for a request that carries the demo time and this run's seeding secret.
    Install it only in development with a secret (`create_service_app` does so)."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        if not secret:
            raise ValueError("DemoTimeMiddleware needs the seeding secret")
        self.app = app
        self.secret = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at_raw = secret_raw = None
        for name, value in scope["headers"]:
            if name == b"x-weilinli-demo-time":
                at_raw = value
            elif name == b"x-weilinli-demo-secret":
                secret_raw = value
        at = None
        if at_raw is not None and secret_raw is not None and hmac.compare_digest(secret_raw, self.secret):
            at = parse_demo_time(at_raw.decode("latin-1"))
        if at is None:
            await self.app(scope, receive, send)
            return
        token = demo_time.set(at)
        try:
            await self.app(scope, receive, send)
        finally:
            demo_time.reset(token)

"""The one clock: every use case, job and router reads the time through a `Clock`, the system's
UTC time unless a test replaces it (errand's context, the forum's and the reports' `app.state.clock`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)

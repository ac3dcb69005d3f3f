"""The report state machine (docs/contract.md "Reports"), SLA arithmetic and domain errors. Plain Python."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicekit.domain import Machine


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Action(enum.StrEnum):
    ACCEPT = "accept"
    ASSIGN = "assign"
    GRAB = "grab"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    AUTO_CLOSE = "auto_close"
    REOPEN = "reopen"
    REJECT = "reject"
    CANCEL = "cancel"


S = Status
# (from, action) -> to. Exactly the diagram of docs/contract.md; nothing else is allowed.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, Action.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, Action.ASSIGN): S.ASSIGNED,
    (S.ACCEPTED, Action.GRAB): S.ASSIGNED,
    (S.ASSIGNED, Action.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, Action.RESOLVE): S.RESOLVED,
    (S.RESOLVED, Action.CONFIRM): S.CLOSED,
    (S.RESOLVED, Action.AUTO_CLOSE): S.CLOSED,
    (S.RESOLVED, Action.REOPEN): S.REOPENED,
    (S.CLOSED, Action.REOPEN): S.REOPENED,
    (S.REOPENED, Action.ASSIGN): S.ASSIGNED,
    (S.IN_PROGRESS, Action.PAUSE): S.PAUSED,
    (S.PAUSED, Action.RESUME): S.IN_PROGRESS,
    (S.IN_PROGRESS, Action.TRANSFER): S.ASSIGNED,
    (S.SUBMITTED, Action.REJECT): S.REJECTED,
    (S.ACCEPTED, Action.REJECT): S.REJECTED,
    (S.SUBMITTED, Action.CANCEL): S.CANCELLED,
    (S.ACCEPTED, Action.CANCEL): S.CANCELLED,
}

# Repeating these on a report already in the target state is a harmless retry (flaky mobile
# networks): answered 200 without a second timeline row or event. Assign/grab/transfer repeat
# only when the same staff member is named, which the use case checks.
IDEMPOTENT_REPEATS: frozenset[Action] = frozenset(
    {
        Action.ACCEPT,
        Action.ASSIGN,
        Action.GRAB,
        Action.START,
        Action.PAUSE,
        Action.RESUME,
        Action.RESOLVE,
        Action.CONFIRM,
        Action.REOPEN,
        Action.REJECT,
        Action.CANCEL,
    }
)

OPEN_STATUSES: frozenset[Status] = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.PAUSED, S.REOPENED}
)
# A staff member's open jobs, counted against the per-staff cap.
WORKING_STATUSES: frozenset[Status] = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.PAUSED})
# The resolve clock runs in these; `paused` stops it, `submitted` is still on the accept clock.
RESOLVE_CLOCK_STATUSES: frozenset[Status] = frozenset({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED})
TERMINAL_STATUSES: frozenset[Status] = frozenset({S.REJECTED, S.CANCELLED})

REOPEN_WINDOW = timedelta(days=14)
AUTO_CLOSE_AFTER = timedelta(hours=48)


REPORT = Machine(
    TRANSITIONS, illegal="report_illegal_transition", repeatable=IDEMPOTENT_REPEATS, state_param="status"
)


@dataclass(frozen=True)
class SlaDue:
    accept_at: datetime
    resolve_at: datetime


def sla_due(submitted_at: datetime, accept_hours: int, resolve_hours: int) -> SlaDue:
    return SlaDue(submitted_at + timedelta(hours=accept_hours), submitted_at + timedelta(hours=resolve_hours))


def resume_shift(due_resolve_at: datetime, paused_since: datetime, now: datetime) -> datetime:
    """Time spent paused does not count: the resolve deadline moves by the pause's length."""
    return due_resolve_at + max(now - paused_since, timedelta(0))


def reopen_allowed(status: Status, closed_at: datetime | None, now: datetime) -> bool:
    """A resolved report can always be reopened; a closed one for 14 days after closing."""
    if status is Status.RESOLVED:
        return True
    return status is Status.CLOSED and closed_at is not None and now - closed_at <= REOPEN_WINDOW


def open311_status(status: Status) -> str:
    """GeoReport v2 knows only open and closed; the detailed state goes to status_notes."""
    return "open" if status in OPEN_STATUSES else "closed"

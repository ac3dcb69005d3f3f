"""The report state machine, every (action, state) pair: exactly the transitions of docs/contract.md are
allowed, safe repeats are no-ops, everything else is report_illegal_transition (409). SLA arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports.domain.model import (
    REPORT,
    TRANSITIONS,
    Action,
    Status,
    open311_status,
    reopen_allowed,
    resume_shift,
    sla_due,
)
from servicekit.domain import DomainError
from tests.reports.helpers import utc

S, A = Status, Action
# docs/contract.md's diagram, written out independently of the implementation's table.
ALLOWED = {
    (A.ACCEPT, S.SUBMITTED): S.ACCEPTED,
    (A.ASSIGN, S.ACCEPTED): S.ASSIGNED,
    (A.GRAB, S.ACCEPTED): S.ASSIGNED,
    (A.START, S.ASSIGNED): S.IN_PROGRESS,
    (A.RESOLVE, S.IN_PROGRESS): S.RESOLVED,
    (A.CONFIRM, S.RESOLVED): S.CLOSED,
    (A.AUTO_CLOSE, S.RESOLVED): S.CLOSED,
    (A.REOPEN, S.RESOLVED): S.REOPENED,
    (A.REOPEN, S.CLOSED): S.REOPENED,
    (A.ASSIGN, S.REOPENED): S.ASSIGNED,
    (A.PAUSE, S.IN_PROGRESS): S.PAUSED,
    (A.RESUME, S.PAUSED): S.IN_PROGRESS,
    (A.TRANSFER, S.IN_PROGRESS): S.ASSIGNED,
    (A.REJECT, S.SUBMITTED): S.REJECTED,
    (A.REJECT, S.ACCEPTED): S.REJECTED,
    (A.CANCEL, S.SUBMITTED): S.CANCELLED,
    (A.CANCEL, S.ACCEPTED): S.CANCELLED,
}
# Retrying an action on a report already in its target state answers without changing anything.
REPEATS = {
    (A.ACCEPT, S.ACCEPTED),
    (A.ASSIGN, S.ASSIGNED),
    (A.GRAB, S.ASSIGNED),
    (A.START, S.IN_PROGRESS),
    (A.PAUSE, S.PAUSED),
    (A.RESUME, S.IN_PROGRESS),
    (A.RESOLVE, S.RESOLVED),
    (A.CONFIRM, S.CLOSED),
    (A.REOPEN, S.REOPENED),
    (A.REJECT, S.REJECTED),
    (A.CANCEL, S.CANCELLED),
}
PAIRS = [(action, status) for action in Action for status in Status]


@pytest.mark.parametrize(("action", "status"), [pair for pair in PAIRS if pair in ALLOWED])
def test_allowed_transition(action: Action, status: Status) -> None:
    step = REPORT.step(status, action)
    assert (step.after, step.changed) == (ALLOWED[(action, status)], True)


def test_the_table_is_the_diagram() -> None:
    assert {(action, status): to for (status, action), to in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize(("action", "status"), [pair for pair in PAIRS if pair in REPEATS])
def test_repeat_is_a_no_op(action: Action, status: Status) -> None:
    step = REPORT.step(status, action)
    assert (step.after, step.changed) == (status, False)


@pytest.mark.parametrize(("action", "status"), [p for p in PAIRS if p not in ALLOWED and p not in REPEATS])
def test_forbidden_transition(action: Action, status: Status) -> None:
    with pytest.raises(DomainError) as caught:
        REPORT.step(status, action)
    assert (caught.value.code, caught.value.status) == ("report_illegal_transition", 409)
    assert caught.value.params == {"action": action.value, "status": status.value}


def test_sla_due_times_from_submission() -> None:
    due = sla_due(utc(2026, 11, 1, 22), accept_hours=2, resolve_hours=24)
    assert (due.accept_at, due.resolve_at) == (utc(2026, 11, 2, 0), utc(2026, 11, 2, 22))


def test_pauses_do_not_count_against_the_resolve_clock() -> None:
    due = utc(2026, 11, 3, 8)
    first = resume_shift(due, paused_since=utc(2026, 11, 2, 9), now=utc(2026, 11, 2, 12))
    second = resume_shift(first, paused_since=utc(2026, 11, 2, 20), now=utc(2026, 11, 2, 20, 30))
    assert second == due + timedelta(hours=3, minutes=30)
    assert resume_shift(due, paused_since=utc(2026, 11, 2, 9), now=utc(2026, 11, 2, 8)) == due


def test_reopen_window_is_14_days_after_closing() -> None:
    closed = utc(2026, 11, 1)
    assert reopen_allowed(S.RESOLVED, None, utc(2027, 1, 1))
    assert reopen_allowed(S.CLOSED, closed, closed + timedelta(days=14))
    assert not reopen_allowed(S.CLOSED, closed, closed + timedelta(days=14, seconds=1))
    assert not reopen_allowed(S.REJECTED, closed, closed)


def test_open311_statuses_are_open_or_closed() -> None:
    assert {s: open311_status(s) for s in Status} == {
        S.SUBMITTED: "open",
        S.ACCEPTED: "open",
        S.ASSIGNED: "open",
        S.IN_PROGRESS: "open",
        S.PAUSED: "open",
        S.REOPENED: "open",
        S.RESOLVED: "closed",
        S.CLOSED: "closed",
        S.REJECTED: "closed",
        S.CANCELLED: "closed",
    }

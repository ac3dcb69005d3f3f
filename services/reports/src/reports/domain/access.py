"""Who may see a report and who may do what with it (plain Python; the API turns it into
dependencies). Anyone who may not see a report gets 404, as if it did not exist; anyone who sees
it but may not act gets 403."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reports.domain.model import Action

STAFF_ROLES = frozenset({"property_staff", "property_manager"})


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    community_id: uuid.UUID
    roles: frozenset[str]
    building: str | None
    # Departments from the local staff projection: role -> department.
    departments: dict[str, str]

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def is_committee(self) -> bool:
        return "committee" in self.roles

    def manages(self, department: str) -> bool:
        return "property_manager" in self.roles and self.departments.get("property_manager") == department

    def works_in(self, department: str) -> bool:
        return any(role in self.roles and self.departments.get(role) == department for role in STAFF_ROLES)


@dataclass(frozen=True)
class ReportFacts:
    reporter_id: uuid.UUID | None
    public_area: bool
    building: str | None
    department: str
    assignee_id: uuid.UUID | None


def can_see(actor: Actor, report: ReportFacts) -> bool:
    if report.reporter_id == actor.user_id or actor.is_staff or actor.is_committee:
        return True
    return (
        report.public_area
        and report.building is not None
        and actor.building == report.building
        and "resident" in actor.roles
    )


def sees_reporter(actor: Actor, report: ReportFacts, anonymous: bool) -> bool:
    """Anonymity hides the reporter from other residents, never from staff or the committee."""
    return not anonymous or report.reporter_id == actor.user_id or actor.is_staff or actor.is_committee


REPORTER_ACTIONS = frozenset({Action.CONFIRM, Action.REOPEN, Action.CANCEL})
MANAGER_ACTIONS = frozenset({Action.ACCEPT, Action.ASSIGN, Action.REJECT})
ASSIGNEE_ACTIONS = frozenset({Action.START, Action.PAUSE, Action.RESUME, Action.RESOLVE})


def may(actor: Actor, report: ReportFacts, action: Action) -> bool:
    """Whether the actor may attempt ``action`` (the state machine decides if it is legal now)."""
    if action in REPORTER_ACTIONS:
        return report.reporter_id is not None and report.reporter_id == actor.user_id
    if action in MANAGER_ACTIONS:
        return actor.manages(report.department)
    if action in ASSIGNEE_ACTIONS:
        return report.assignee_id == actor.user_id and actor.works_in(report.department)
    if action is Action.GRAB:
        return "property_staff" in actor.roles and actor.works_in(report.department)
    if action is Action.TRANSFER:
        return actor.manages(report.department) or (
            report.assignee_id == actor.user_id and actor.works_in(report.department)
        )
    return False


def may_rate_or_urge(actor: Actor, report: ReportFacts) -> bool:
    return report.reporter_id is not None and report.reporter_id == actor.user_id


def may_support(actor: Actor, report: ReportFacts) -> bool:
    return "resident" in actor.roles and report.reporter_id != actor.user_id


def may_upload(actor: Actor, report: ReportFacts, kind: str) -> bool:
    """The reporter shows the problem (before); the department's staff prove the fix (after)."""
    if kind == "before" and report.reporter_id == actor.user_id:
        return True
    return report.assignee_id == actor.user_id or actor.manages(report.department)

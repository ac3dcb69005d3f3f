"""Who may see a report and who may do what with it (plain Python; the API turns it into
dependencies). Anyone who may not see a report gets 404, as if it did not exist; anyone who sees
it but may not act gets 403."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reports.domain.model import Action

STAFF_ROLES = frozenset({"property_staff", "property_manager"})


@dataclass(frozen=True)
class Viewer:
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


def can_see(viewer: Viewer, report: ReportFacts) -> bool:
    if report.reporter_id == viewer.user_id or viewer.is_staff or viewer.is_committee:
        return True
    return (
        report.public_area
        and report.building is not None
        and viewer.building == report.building
        and "resident" in viewer.roles
    )


def sees_reporter(viewer: Viewer, report: ReportFacts, anonymous: bool) -> bool:
    """Anonymity hides the reporter from other residents, never from staff or the committee."""
    return not anonymous or report.reporter_id == viewer.user_id or viewer.is_staff or viewer.is_committee


REPORTER_ACTIONS = frozenset({Action.CONFIRM, Action.REOPEN, Action.CANCEL})
MANAGER_ACTIONS = frozenset({Action.ACCEPT, Action.ASSIGN, Action.REJECT})
ASSIGNEE_ACTIONS = frozenset({Action.START, Action.PAUSE, Action.RESUME, Action.RESOLVE})


def may(viewer: Viewer, report: ReportFacts, action: Action) -> bool:
    """Whether the viewer may attempt ``action`` (the state machine decides if it is legal now)."""
    if action in REPORTER_ACTIONS:
        return report.reporter_id is not None and report.reporter_id == viewer.user_id
    if action in MANAGER_ACTIONS:
        return viewer.manages(report.department)
    if action in ASSIGNEE_ACTIONS:
        return report.assignee_id == viewer.user_id and viewer.works_in(report.department)
    if action is Action.GRAB:
        return "property_staff" in viewer.roles and viewer.works_in(report.department)
    if action is Action.TRANSFER:
        return viewer.manages(report.department) or (
            report.assignee_id == viewer.user_id and viewer.works_in(report.department)
        )
    return False


def may_rate_or_urge(viewer: Viewer, report: ReportFacts) -> bool:
    return report.reporter_id is not None and report.reporter_id == viewer.user_id


def may_support(viewer: Viewer, report: ReportFacts) -> bool:
    return "resident" in viewer.roles and report.reporter_id != viewer.user_id


def may_upload(viewer: Viewer, report: ReportFacts, kind: str) -> bool:
    """The reporter shows the problem (before); the department's staff prove the fix (after)."""
    if kind == "before" and report.reporter_id == viewer.user_id:
        return True
    return report.assignee_id == viewer.user_id or viewer.manages(report.department)

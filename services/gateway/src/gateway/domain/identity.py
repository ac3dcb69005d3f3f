"""Identity rules: phone numbers, passwords, roles and who may grant them, refresh-token states."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from servicekit.domain import DomainError, decided_once

ROLES = ("resident", "courier", "property_staff", "property_manager", "committee", "mediator", "admin")
STAFF_ROLES = frozenset({"property_staff", "property_manager"})
DEPARTMENTS = ("property", "heating", "police", "urban_management", "committee")
DEFAULT_DEPARTMENT = "property"

# Mainland China mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan), optionally +86.
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(raw: str) -> str | None:
    """The 11-digit national form of a mainland mobile number, or None when it is not one."""
    phone = re.sub(r"[\s-]", "", raw)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone if _MAINLAND_MOBILE.fullmatch(phone) else None


def mask_phone(phone: str | None) -> str | None:
    return None if phone is None else f"{phone[:3]}****{phone[-4:]}"


def may_grant(granter_roles: frozenset[str], role: str) -> bool:
    """Admins grant every role; the committee appoints mediators (grid volunteers)."""
    if "admin" in granter_roles:
        return True
    return role == "mediator" and "committee" in granter_roles


def department_for(role: str, department: str | None) -> str | None:
    """Staff roles work for a department (property company by default); other roles for none."""
    if role in STAFF_ROLES:
        return department or DEFAULT_DEPARTMENT
    if department is not None:
        raise DomainError("role_not_grantable", 422)
    return None


class RefreshState(enum.StrEnum):
    ACTIVE = "active"
    USED = "used"  # rotated: presenting it again is reuse
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RefreshRecord:
    used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime

    def state(self, now: datetime) -> RefreshState:
        if self.revoked_at is not None:
            return RefreshState.REVOKED
        if self.used_at is not None:
            return RefreshState.USED
        if self.expires_at <= now:
            return RefreshState.EXPIRED
        return RefreshState.ACTIVE


class ApprovalState(enum.StrEnum):
    """Household claims and courier applications: pending -> approved | rejected, once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# Deciding again the same way is a no-op; deciding the other way after a decision is a 409.
APPROVAL = decided_once(
    ApprovalState.PENDING,
    {ApprovalAction.APPROVE: ApprovalState.APPROVED, ApprovalAction.REJECT: ApprovalState.REJECTED},
    illegal="claim_not_pending",
)

"""Events produced by the gateway (identity and community directory)."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.common import Department, Label, Role
from contracts.envelope import EventPayload
from contracts.registry import register

__all__ = [
    "CommunityCreatedV1",
    "HouseholdVerifiedV1",
    "RoleGrantedV1",
    "RoleRevokedV1",
    "UserDeletedV1",
    "UserProfileChangedV1",
    "UserRegisteredV1",
]


@register
class CommunityCreatedV1(EventPayload):
    """A community exists (created by an admin, or announced again by `gateway backfill`).

    Producer: gateway. Consumers: reports (its `communities` projection: the categories answered
    without a token for `?community=<code>`, and the Open311 jurisdictions of discovery).
    """

    event_type: ClassVar[str] = "gateway.community.created.v1"

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


@register
class UserRegisteredV1(EventPayload):
    """A new account exists (phone or WeChat sign-up).

    Producer: gateway. Consumers: errand, forum, reports (the `people` projection: who belongs
    to which community, and the name they show). `display_name` is optional so that messages
    published before it existed still validate.
    """

    event_type: ClassVar[str] = "gateway.user.registered.v1"

    user_id: UUID
    channel: Literal["phone", "wechat"]
    display_name: str | None = Field(default=None, min_length=1, max_length=64)


@register
class UserProfileChangedV1(EventPayload):
    """A user changed the name they show (or their language).

    Producer: gateway (PATCH /api/v1/me, PATCH /api/v1/community/users/{id}). Consumers: errand,
    reports, forum (the name in their `people` projections).
    """

    event_type: ClassVar[str] = "gateway.user.profile_changed.v1"

    user_id: UUID
    display_name: str = Field(min_length=1, max_length=64)
    locale: Literal["zh-CN", "en", "ko"] | None = None


@register
class RoleGrantedV1(EventPayload):
    """A user was granted a role in the community.

    Producer: gateway. Consumers: errand (courier profile), reports (staff of a department),
    forum (mediators). `department` is set for staff roles (`property_staff`, `property_manager`).
    """

    event_type: ClassVar[str] = "gateway.role.granted.v1"

    user_id: UUID
    role: Role
    department: Department | None = None


@register
class RoleRevokedV1(EventPayload):
    """A user lost a role in the community.

    Producer: gateway. Consumers: errand (courier profile), reports (staff), forum (mediators).
    `department` is the department the revoked staff role was held in, if any.
    """

    event_type: ClassVar[str] = "gateway.role.revoked.v1"

    user_id: UUID
    role: Role
    department: Department | None = None


@register
class HouseholdVerifiedV1(EventPayload):
    """A resident's claim to a household was approved by the committee (实名 real-name binding).

    Producer: gateway. Consumers: forum (one support / vote per household), errand (elderly-alone
    orders first in the courier feed). Of the household's vulnerability flags only
    `elderly_alone` travels; the others stay in the gateway.
    """

    event_type: ClassVar[str] = "gateway.household.verified.v1"

    household_id: UUID
    user_id: UUID
    building: Label
    unit: Label
    room: Label
    elderly_alone: bool


@register
class UserDeletedV1(EventPayload):
    """An account was deleted (注销, PIPL): sign-in is closed and the gateway has anonymised it.

    Producer: gateway. Consumers: errand, reports, forum: each erases or anonymises what it holds
    of the person (projections, contact names and phones, rooms), keeping what accounting must keep
    (orders' money) and public content (posts' text) without the person.
    """

    event_type: ClassVar[str] = "gateway.user.deleted.v1"

    user_id: UUID

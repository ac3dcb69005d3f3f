"""/api/v1/community and /api/v1/admin: communities, the directory, claims, courier applications,
user profiles and roles."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from contracts.common import Department, Role
from gateway.api.deps import Admin, CommitteeOrAdmin, Rights
from gateway.api.me import ClaimOut, CourierApplicationOut, ProfileOut
from gateway.api.models import Input
from gateway.domain.identity import normalise_phone
from gateway.service_layer import accounts, community
from servicekit.app import UoW
from servicekit.auth import User
from servicekit.errors import NotFound
from servicekit.pagination import Cursor, CursorModel, CursorText, Limit, Page, encode_cursor, read_cursor
from servicekit.text import Text

router = APIRouter(tags=["community"])

Label = Field(min_length=1, max_length=64)
Status = Literal["pending", "approved", "rejected"]


class CommunityIn(Input):
    code: Text = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text = Field(min_length=1, max_length=200)
    timezone: Text = Field(default="Asia/Shanghai", max_length=64)


class CommunityOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    timezone: str


class BuildingIn(Input):
    name: Text = Label


class BuildingOut(BaseModel):
    id: uuid.UUID
    name: str


class HouseholdIn(Input):
    building_id: uuid.UUID
    unit: Text = Label
    room: Text = Label
    elderly_alone: bool = False
    disability: bool = False
    low_income: bool = False


class HouseholdOut(BaseModel):
    id: uuid.UUID
    building_id: uuid.UUID
    building: str
    unit: str
    room: str
    elderly_alone: bool
    disability: bool
    low_income: bool


class DecisionIn(Input):
    decision: Literal["approve", "reject"]


class RoleIn(Input):
    role: Role
    department: Department | None = None


class RoleHeld(BaseModel):
    role: str
    department: str | None


class RolesOut(BaseModel):
    user_id: uuid.UUID
    roles: list[RoleHeld]


class ProfilePatch(Input):
    display_name: Text | None = Field(default=None, min_length=1, max_length=64)
    locale: Literal["zh-CN", "en", "ko"] | None = None


# -- communities ---------------------------------------------------------------------------------
@router.post("/api/v1/community/communities", status_code=201, response_model=CommunityOut)
async def create_community(body: CommunityIn, admin: Admin, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await accounts.create_community(uow, code=body.code, name=body.name, timezone=body.timezone)


@router.get("/api/v1/community/communities", response_model=list[CommunityOut])
async def list_communities(admin: Admin, uow: UoW) -> list[dict[str, Any]]:
    async with uow:
        return await accounts.list_communities(uow)


# -- directory -----------------------------------------------------------------------------------
@router.post("/api/v1/community/buildings", status_code=201, response_model=BuildingOut)
async def create_building(body: BuildingIn, actor: CommitteeOrAdmin, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await community.create_building(uow, actor, name=body.name)


@router.get("/api/v1/community/buildings", response_model=list[BuildingOut])
async def list_buildings(actor: CommitteeOrAdmin, uow: UoW) -> list[dict[str, Any]]:
    async with uow:
        return await community.list_buildings(uow, actor)


@router.post("/api/v1/community/households", status_code=201, response_model=HouseholdOut)
async def create_household(body: HouseholdIn, actor: CommitteeOrAdmin, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await community.create_household(
            uow,
            actor,
            building_id=body.building_id,
            unit=body.unit,
            room=body.room,
            flags={
                "elderly_alone": body.elderly_alone,
                "disability": body.disability,
                "low_income": body.low_income,
            },
        )


class _HouseholdCursor(CursorModel):
    k: tuple[CursorText, CursorText, CursorText]  # building name, unit, room of the last one


@router.get("/api/v1/community/households", response_model=Page[HouseholdOut])
async def list_households(
    actor: CommitteeOrAdmin,
    uow: UoW,
    building_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    position = read_cursor(cursor, _HouseholdCursor)
    after = None if position is None else position.k
    async with uow:
        items, last = await community.list_households(
            uow, actor, building_id=building_id, limit=limit, after=after
        )
    return {"items": items, "next_cursor": encode_cursor({"k": list(last)}) if last else None}


# -- household claims (committee approves) --------------------------------------------------------
@router.get("/api/v1/community/household-claims", response_model=list[ClaimOut])
async def list_claims(
    actor: CommitteeOrAdmin, uow: UoW, status: Status | None = None
) -> list[dict[str, Any]]:
    async with uow:
        return await community.list_claims(uow, actor, status=status)


@router.post("/api/v1/community/household-claims/{claim_id}/decision", response_model=ClaimOut)
async def decide_claim(
    claim_id: uuid.UUID, body: DecisionIn, actor: CommitteeOrAdmin, uow: UoW, request: Request, rights: Rights
) -> dict[str, Any]:
    async with uow:
        return await community.decide_claim(
            uow,
            actor,
            rights,
            claim_id=claim_id,
            approve=body.decision == "approve",
            publisher=request.app.state.notification_hub,
        )


# -- courier applications -------------------------------------------------------------------------
@router.get("/api/v1/community/courier-applications", response_model=list[CourierApplicationOut])
async def list_applications(
    actor: CommitteeOrAdmin, uow: UoW, status: Status | None = None
) -> list[dict[str, Any]]:
    async with uow:
        return await community.list_applications(uow, actor, status=status)


@router.post(
    "/api/v1/community/courier-applications/{application_id}/decision", response_model=CourierApplicationOut
)
async def decide_application(
    application_id: uuid.UUID,
    body: DecisionIn,
    actor: CommitteeOrAdmin,
    uow: UoW,
    request: Request,
    rights: Rights,
) -> dict[str, Any]:
    async with uow:
        return await community.decide_application(
            uow,
            actor,
            rights,
            application_id=application_id,
            approve=body.decision == "approve",
            publisher=request.app.state.notification_hub,
        )


# -- user profiles -------------------------------------------------------------------------------
@router.get("/api/v1/community/users/{user_id}", response_model=ProfileOut)
async def get_user(user_id: uuid.UUID, user: User, uow: UoW) -> dict[str, Any]:
    """The user themself, or the committee/admin of their community; anyone else gets 404."""
    if user_id != user.id and not user.has_any("committee", "admin"):
        raise NotFound()
    async with uow:
        return await community.profile_of(uow, user_id, user.community_id)


@router.patch("/api/v1/community/users/{user_id}", response_model=ProfileOut)
async def patch_user(user_id: uuid.UUID, body: ProfilePatch, user: User, uow: UoW) -> dict[str, Any]:
    """Only the user themself changes their profile; for anyone else it does not exist."""
    if user_id != user.id:
        raise NotFound()
    async with uow:
        return await community.update_profile(uow, user, display_name=body.display_name, locale=body.locale)


@router.get("/api/v1/admin/users", response_model=list[ProfileOut])
async def find_users(
    actor: CommitteeOrAdmin, uow: UoW, phone: Annotated[str, Query(min_length=11, max_length=20)]
) -> list[dict[str, Any]]:
    normalised = normalise_phone(phone)
    if normalised is None:
        return []
    async with uow:
        return await community.find_by_phone(uow, actor, normalised)


# -- roles ---------------------------------------------------------------------------------------
@router.post("/api/v1/admin/users/{user_id}/roles", response_model=RolesOut)
async def grant_role(
    user_id: uuid.UUID, body: RoleIn, user: User, uow: UoW, rights: Rights
) -> dict[str, Any]:
    async with uow:
        return await community.grant_role(
            uow, user, rights, user_id=user_id, role=body.role, department=body.department
        )


@router.delete("/api/v1/admin/users/{user_id}/roles/{role}", status_code=204)
async def revoke_role(user_id: uuid.UUID, role: Role, user: User, uow: UoW, rights: Rights) -> None:
    async with uow:
        await community.revoke_role(uow, user, rights, user_id=user_id, role=role)

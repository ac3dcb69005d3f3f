"""/api/v1/me: the caller's profile, household claim, courier application and notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator

from gateway.adapters.passwords import verify_password
from gateway.api.deps import Rights, get_settings
from gateway.api.models import Input
from gateway.service_layer import accounts, community, sms, wechat_push
from servicekit import idempotency
from servicekit.app import UoW
from servicekit.auth import User
from servicekit.domain import DomainError
from servicekit.idempotency import IdempotencyKey
from servicekit.openapi import ACCEPTED_NO_BODY
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/me", tags=["me"])


class HouseholdOut(BaseModel):
    id: uuid.UUID
    building_id: uuid.UUID
    building: str
    unit: str
    room: str


class ClaimBrief(BaseModel):
    id: uuid.UUID
    status: str


class ProfileOut(BaseModel):
    id: uuid.UUID
    community_id: uuid.UUID
    display_name: str
    phone: str | None
    phone_masked: str | None
    locale: str
    real_name: str | None
    roles: list[str]
    household: HouseholdOut | None
    household_claim: ClaimBrief | None
    courier_status: str | None


class ClaimIn(Input):
    household_id: uuid.UUID | None = None
    building: Text | None = Field(default=None, min_length=1, max_length=64)
    unit: Text | None = Field(default=None, min_length=1, max_length=64)
    room: Text | None = Field(default=None, min_length=1, max_length=64)
    real_name: Text = Field(
        min_length=1, max_length=64, description="实名: the name on the household register"
    )

    @model_validator(mode="after")
    def _one_way_to_name_the_household(self) -> ClaimIn:
        address = (self.building, self.unit, self.room)
        if (self.household_id is None) == (None in address):
            raise ValueError("send either household_id or building, unit and room")
        return self


class PersonRefOut(BaseModel):
    """A person as every view shows one (docs/contract.md)."""

    id: uuid.UUID
    display_name: str | None


class ClaimOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    applicant: PersonRefOut
    household_id: uuid.UUID
    real_name: str
    status: str
    created_at: datetime
    decided_at: datetime | None


class CourierApplicationIn(Input):
    real_name: Text = Field(min_length=1, max_length=64)
    id_number_last4: Text = Field(pattern=r"^[0-9]{3}[0-9Xx]$")
    note: Text | None = Field(default=None, max_length=500)


class CourierApplicationOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    applicant: PersonRefOut
    real_name: str
    id_number_last4: str
    note: str | None
    status: str
    created_at: datetime
    decided_at: datetime | None


class DeletionIn(Input):
    password: Text | None = Field(default=None, min_length=1, max_length=128)
    sms_code: Text | None = Field(default=None, pattern=r"^[0-9]{6}$", description="a `delete` code")

    @model_validator(mode="after")
    def _one_proof(self) -> DeletionIn:
        if (self.password is None) == (self.sms_code is None):
            raise ValueError("send either password or sms_code")
        return self


@router.delete("", status_code=202, responses=ACCEPTED_NO_BODY)
async def delete_me(body: DeletionIn, user: User, uow: UoW, rights: Rights, request: Request) -> None:
    """注销: sign-in closes at once; every service erases the person (README "Account deletion")."""
    async with uow:
        account = await accounts.account_for_deletion(uow, user.id)
        if body.password is not None:
            if not await verify_password(account.password_hash, body.password):
                raise DomainError("confirmation_failed", 403)
        else:
            if account.phone is None:
                raise DomainError("confirmation_failed", 403)
            assert body.sms_code is not None
            await sms.spend_code(
                uow, get_settings(request), phone=account.phone, purpose="delete", code=body.sms_code
            )
        await accounts.delete_account(uow, rights, user_id=user.id, community_id=account.community_id)


@router.get("", response_model=ProfileOut)
async def me(user: User, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await community.profile_of(uow, user.id, user.community_id)


class MePatch(Input):
    display_name: Text | None = Field(default=None, min_length=1, max_length=64)
    locale: Literal["zh-CN", "en", "ko"] | None = None


@router.patch("", response_model=ProfileOut)
async def patch_me(body: MePatch, user: User, uow: UoW) -> dict[str, Any]:
    """Change the name shown to others or the language; emits gateway.user.profile_changed.v1."""
    async with uow:
        return await community.update_profile(uow, user, display_name=body.display_name, locale=body.locale)


@router.post("/household-claims", status_code=201, response_model=ClaimOut)
async def claim_household(
    body: ClaimIn, user: User, uow: UoW, response: Response, idempotency_key: IdempotencyKey = None
) -> Any:
    address = None if body.household_id else (body.building or "", body.unit or "", body.room or "")
    async with uow:
        status, answer = await community.claim_household(
            uow,
            user,
            household_id=body.household_id,
            address=address,
            real_name=body.real_name,
            keyed=idempotency.Keyed.of(idempotency_key, body),
        )
    response.status_code = status
    return answer


@router.get("/household-claims/{claim_id}", response_model=ClaimOut)
async def get_claim(claim_id: uuid.UUID, user: User, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await community.claim_view(uow, claim_id, user)


@router.post("/courier-application", status_code=201, response_model=CourierApplicationOut)
async def apply_as_courier(
    body: CourierApplicationIn,
    user: User,
    uow: UoW,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    async with uow:
        status, answer = await community.apply_as_courier(
            uow,
            user,
            real_name=body.real_name,
            id_number_last4=body.id_number_last4.upper(),
            note=body.note,
            keyed=idempotency.Keyed.of(idempotency_key, body),
        )
    response.status_code = status
    return answer


# -- WeChat subscription messages (订阅消息) ---------------------------------------------------------
class WeChatSubscriptionsIn(Input):
    template_ids: list[Annotated[Text, Field(min_length=1, max_length=128)]] = Field(
        min_length=1,
        max_length=20,
        description="the templates the user accepted in wx.requestSubscribeMessage",
    )


class WeChatSubscriptionOut(BaseModel):
    template_id: str
    event_types: list[str] = Field(description="the notifications this template carries")
    remaining: int = Field(description="one-shot grants left (one is spent per message sent)")


class WeChatSubscriptionsOut(BaseModel):
    items: list[WeChatSubscriptionOut]


@router.get("/wechat-subscriptions", response_model=WeChatSubscriptionsOut)
async def wechat_subscriptions(user: User, uow: UoW, request: Request) -> dict[str, Any]:
    """The configured templates (ask for these with wx.requestSubscribeMessage) and the caller's
    grants of each."""
    async with uow:
        return await wechat_push.list_subscriptions(uow, get_settings(request), user.id)


@router.post("/wechat-subscriptions", response_model=WeChatSubscriptionsOut)
async def add_wechat_subscriptions(
    body: WeChatSubscriptionsIn, user: User, uow: UoW, request: Request
) -> dict[str, Any]:
    """After wx.requestSubscribeMessage: one more grant of each template the user accepted. Only
    for an account signed in with WeChat (409 `wechat_not_linked`); an unconfigured template is
    422 `wechat_template_unknown`."""
    async with uow:
        return await wechat_push.subscribe(uow, get_settings(request), user.id, body.template_ids)

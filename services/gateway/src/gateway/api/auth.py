"""/api/v1/auth: sign-up, sign-in (phone or WeChat), token refresh, sign-out."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator, model_validator

from gateway.adapters.wechat import WeChatClient
from gateway.api.deps import PhoneThrottle, Policy, get_settings
from gateway.api.models import Input
from gateway.domain.identity import normalise_phone
from gateway.service_layer import accounts, sms
from servicekit.app import UoW
from servicekit.auth import User
from servicekit.domain import DomainError
from servicekit.openapi import ACCEPTED_NO_BODY
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

Password = Annotated[Text, Field(min_length=8, max_length=128)]


class PhoneModel(Input):
    phone: Text = Field(max_length=20, description="mainland mobile number, e.g. 13800138000")

    @field_validator("phone")
    @classmethod
    def _mainland_mobile(cls, value: str) -> str:
        phone = normalise_phone(value)
        if phone is None:
            raise ValueError("not a mainland China mobile number")
        return phone


class RegisterIn(PhoneModel):
    password: Password
    display_name: Text = Field(min_length=1, max_length=64)
    locale: Literal["zh-CN", "en", "ko"] = "zh-CN"
    community_code: Text | None = Field(default=None, min_length=1, max_length=64)
    sms_code: Text | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="a `register` code; required when phone verification is on",
    )


class RegisteredOut(BaseModel):
    id: uuid.UUID
    phone_masked: str
    community_id: uuid.UUID
    roles: list[str]


class LoginIn(PhoneModel):
    """`{phone, password}`, or `{phone, sms_code}` with a `login` code from `/auth/sms-codes`."""

    password: Text | None = Field(default=None, min_length=1, max_length=128)
    sms_code: Text | None = Field(default=None, min_length=4, max_length=8)

    @model_validator(mode="after")
    def _password_or_code(self) -> LoginIn:
        if (self.password is None) == (self.sms_code is None):
            raise ValueError("send either password or sms_code")
        return self


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class WeChatIn(Input):
    code: Text = Field(min_length=1, max_length=128)


class RefreshIn(Input):
    refresh_token: Text = Field(min_length=1, max_length=200)


class LogoutIn(Input):
    refresh_token: Text | None = Field(default=None, min_length=1, max_length=200)


class SmsCodeIn(PhoneModel):
    purpose: Literal["register", "reset", "login", "delete"]


class PasswordResetIn(PhoneModel):
    code: Text = Field(pattern=r"^[0-9]{6}$")
    new_password: Password


@router.post("/sms-codes", status_code=202, responses=ACCEPTED_NO_BODY)
async def request_sms_code(body: SmsCodeIn, request: Request, uow: UoW) -> None:
    """One code a minute per phone, five an hour; the same 202 whether or not a code was due."""
    async with uow:
        await sms.request_code(
            uow,
            get_settings(request),
            request.app.state.rate_limiter,
            request.app.state.sms,
            phone=body.phone,
            purpose=body.purpose,
        )


@router.post("/password-reset", status_code=204)
async def reset_password(body: PasswordResetIn, request: Request, uow: UoW) -> None:
    async with uow:
        await sms.spend_code(uow, get_settings(request), phone=body.phone, purpose="reset", code=body.code)
        await accounts.reset_password(uow, phone=body.phone, new_password=body.new_password)


@router.post("/register", status_code=201, response_model=RegisteredOut)
async def register(body: RegisterIn, request: Request, uow: UoW) -> dict[str, object]:
    settings = get_settings(request)
    async with uow:
        if settings.sms_required_at_registration:
            if body.sms_code is None:
                raise DomainError("sms_code_required", 422)
            await sms.spend_code(uow, settings, phone=body.phone, purpose="register", code=body.sms_code)
        created = await accounts.register(
            uow,
            phone=body.phone,
            password=body.password,
            display_name=body.display_name,
            locale=body.locale,
            community_code=body.community_code,
        )
    return {**created, "phone_masked": f"{body.phone[:3]}****{body.phone[-4:]}"}


@router.post("/login", response_model=TokensOut)
async def login(body: LoginIn, request: Request, uow: UoW, policy: Policy) -> dict[str, object]:
    throttle = PhoneThrottle(request, body.phone)
    await throttle.ensure_allowed()
    try:
        async with uow:
            if body.sms_code is not None:
                await sms.spend_code(
                    uow, get_settings(request), phone=body.phone, purpose="login", code=body.sms_code
                )
                tokens = await accounts.login_verified(uow, policy, phone=body.phone)
            else:
                assert body.password is not None
                tokens = await accounts.login(uow, policy, phone=body.phone, password=body.password)
    except DomainError as exc:
        # A wrong password or code stays charged (and five wrong tries kill the code).
        if exc.code not in ("bad_credentials", "sms_code_invalid", "sms_code_dead"):
            await throttle.record_other_outcome()
        raise
    except BaseException:
        await throttle.record_other_outcome()
        raise
    await throttle.record_success()
    return tokens


@router.post("/wechat", response_model=TokensOut)
async def wechat(body: WeChatIn, request: Request, uow: UoW, policy: Policy) -> dict[str, object]:
    settings = get_settings(request)
    client = WeChatClient(
        session=request.app.state.upstream_session,
        base_url=settings.wechat_api_base_url,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret.get_secret_value(),
        timeout_seconds=settings.wechat_timeout_seconds,
    )
    openid = await client.code2session(body.code)
    async with uow:
        return await accounts.login_wechat(uow, policy, openid=openid)


@router.post("/refresh", response_model=TokensOut)
async def refresh(body: RefreshIn, uow: UoW, policy: Policy) -> dict[str, object]:
    async with uow:
        return await accounts.refresh(uow, policy, token=body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(user: User, uow: UoW, body: LogoutIn | None = None) -> None:
    async with uow:
        await accounts.logout(uow, user_id=user.id, token=body.refresh_token if body else None)

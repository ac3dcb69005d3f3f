"""Accounts and tokens: register, log in (phone or WeChat), refresh with rotation, log out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from contracts.gateway import CommunityCreatedV1, RoleGrantedV1, UserDeletedV1, UserRegisteredV1
from gateway.adapters.passwords import hash_password, verify_password
from gateway.adapters.rights import RightsBoard, stamp
from gateway.adapters.tables import (
    buildings,
    communities,
    courier_applications,
    household_claims,
    households,
    notifications,
    refresh_tokens,
    role_grants,
    sms_codes,
    users,
    wechat_subscriptions,
)
from gateway.domain.identity import RefreshRecord, RefreshState
from servicekit.clock import system_clock as _now
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.tokens import TokenSigner


@dataclass(frozen=True)
class TokenPolicy:
    signer: TokenSigner
    access_ttl_seconds: int
    refresh_ttl_seconds: int


async def resolve_community(uow: UnitOfWork, code: str | None) -> uuid.UUID:
    """The community a sign-up joins: by code, or the only one while there is only one."""
    if code is not None:
        found: uuid.UUID | None = await uow.session.scalar(
            select(communities.c.id).where(communities.c.code == code)
        )
        if found is None:
            raise DomainError("not_found", 404)
        return found
    ids: list[uuid.UUID] = list((await uow.session.scalars(select(communities.c.id).limit(2))).all())
    if not ids:
        # Nothing the caller can fix: the deployment has no community to join yet.
        raise DomainError("no_community_yet", 409)
    if len(ids) > 1:
        raise DomainError("community_required", 422)
    return ids[0]


async def create_user(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    display_name: str,
    phone: str | None = None,
    password: str | None = None,
    wechat_openid: str | None = None,
    locale: str = "zh-CN",
    roles: tuple[str, ...] = ("resident",),
) -> uuid.UUID:
    """A new account with its roles; emits user.registered and a role.granted per role."""
    user_id = uuid.uuid4()
    password_hash = await hash_password(password) if password is not None else None
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                users.insert().values(
                    id=user_id,
                    community_id=community_id,
                    phone=phone,
                    password_hash=password_hash,
                    wechat_openid=wechat_openid,
                    display_name=display_name,
                    locale=locale,
                )
            )
    except IntegrityError as exc:
        raise DomainError("phone_taken", 409) from exc
    for role in roles:
        await uow.session.execute(
            role_grants.insert().values(user_id=user_id, community_id=community_id, role=role)
        )
    uow.emit(
        UserRegisteredV1(
            community_id=community_id,
            user_id=user_id,
            channel="wechat" if wechat_openid else "phone",
            display_name=display_name,
        ),
        actor_id=user_id,
    )
    for role in roles:
        uow.emit(RoleGrantedV1(community_id=community_id, user_id=user_id, role=role))
    return user_id


async def register(
    uow: UnitOfWork,
    *,
    phone: str,
    password: str,
    display_name: str,
    locale: str,
    community_code: str | None,
) -> dict[str, Any]:
    community_id = await resolve_community(uow, community_code)
    user_id = await create_user(
        uow,
        community_id=community_id,
        display_name=display_name,
        phone=phone,
        password=password,
        locale=locale,
    )
    await uow.commit()
    return {"id": user_id, "community_id": community_id, "roles": ["resident"], "phone": phone}


async def login(uow: UnitOfWork, policy: TokenPolicy, *, phone: str, password: str) -> dict[str, Any]:
    row = (
        await uow.session.execute(select(users.c.id, users.c.password_hash).where(users.c.phone == phone))
    ).first()
    # The same answer (and the same argon2 cost) whether the phone is unknown or the password wrong.
    if not await verify_password(row.password_hash if row else None, password) or row is None:
        raise DomainError("bad_credentials", 401)
    tokens = await issue_tokens(uow, policy, row.id, family_id=uuid.uuid4())
    await uow.commit()
    return tokens


async def login_verified(uow: UnitOfWork, policy: TokenPolicy, *, phone: str) -> dict[str, Any]:
    """Sign-in of the phone's account once its SMS `login` code was spent (service_layer/sms)."""
    user_id = await uow.session.scalar(
        select(users.c.id).where(users.c.phone == phone, users.c.deleted_at.is_(None))
    )
    if user_id is None:
        raise DomainError("bad_credentials", 401)
    tokens = await issue_tokens(uow, policy, user_id, family_id=uuid.uuid4())
    await uow.commit()
    return tokens


async def login_wechat(uow: UnitOfWork, policy: TokenPolicy, *, openid: str) -> dict[str, Any]:
    """A known openid signs in; a new one gets a resident account in the only community."""
    user_id = await uow.session.scalar(select(users.c.id).where(users.c.wechat_openid == openid))
    if user_id is None:
        community_id = await resolve_community(uow, None)
        user_id = await create_user(
            uow, community_id=community_id, display_name="微信用户", wechat_openid=openid
        )
    tokens = await issue_tokens(uow, policy, user_id, family_id=uuid.uuid4())
    await uow.commit()
    return tokens


async def claims_of(uow: UnitOfWork, user_id: uuid.UUID) -> dict[str, Any]:
    """What an access token says about a user: community, roles there, verified household."""
    user = (
        await uow.session.execute(
            select(users.c.community_id, users.c.household_id, buildings.c.name.label("building"))
            .select_from(
                users.outerjoin(households, households.c.id == users.c.household_id).outerjoin(
                    buildings, buildings.c.id == households.c.building_id
                )
            )
            .where(users.c.id == user_id)
        )
    ).one()
    roles = (
        await uow.session.scalars(
            select(role_grants.c.role).where(
                role_grants.c.user_id == user_id, role_grants.c.community_id == user.community_id
            )
        )
    ).all()
    return {
        "community_id": user.community_id,
        "roles": sorted(roles),
        "household_id": user.household_id,
        "building": user.building,
    }


async def current_claims(uow: UnitOfWork, user_id: uuid.UUID) -> dict[str, Any] | None:
    """The claims a token of the user carries today; None for a deleted (or unknown) account."""
    deleted = await uow.session.scalar(select(users.c.deleted_at.is_not(None)).where(users.c.id == user_id))
    if deleted is None or deleted:
        return None
    return await claims_of(uow, user_id)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_tokens(
    uow: UnitOfWork, policy: TokenPolicy, user_id: uuid.UUID, *, family_id: uuid.UUID
) -> dict[str, Any]:
    claims = await claims_of(uow, user_id)
    access = policy.signer.sign(
        user_id=user_id,
        community_id=claims["community_id"],
        roles=claims["roles"],
        household_id=claims["household_id"],
        building=claims["building"],
        ttl_seconds=policy.access_ttl_seconds,
    )
    token_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    await uow.session.execute(
        refresh_tokens.insert().values(
            id=token_id,
            family_id=family_id,
            user_id=user_id,
            community_id=claims["community_id"],
            secret_hash=_hash_secret(secret),
            expires_at=_now() + timedelta(seconds=policy.refresh_ttl_seconds),
        )
    )
    return {
        "access_token": access,
        "refresh_token": f"{token_id.hex}.{secret}",
        "token_type": "Bearer",
        "expires_in": policy.access_ttl_seconds,
    }


async def _find_refresh(uow: UnitOfWork, token: str) -> Any:
    token_id_hex, _, secret = token.partition(".")
    try:
        token_id = uuid.UUID(hex=token_id_hex)
    except ValueError:
        return None
    row = (
        await uow.session.execute(
            select(refresh_tokens).where(refresh_tokens.c.id == token_id).with_for_update()
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash_secret(secret)):
        return None
    return row


async def _revoke_family(uow: UnitOfWork, family_id: uuid.UUID) -> None:
    await uow.session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def refresh(uow: UnitOfWork, policy: TokenPolicy, *, token: str) -> dict[str, Any]:
    """Rotate: the presented token is spent and a new pair issued in the same family. A spent
    token presented again means it was stolen or replayed: the whole family is revoked."""
    row = await _find_refresh(uow, token)
    if row is None:
        raise DomainError("refresh_invalid", 401)
    state = RefreshRecord(row.used_at, row.revoked_at, row.expires_at).state(_now())
    if state is RefreshState.USED:
        await _revoke_family(uow, row.family_id)
        await uow.commit()
        raise DomainError("refresh_reused", 401)
    if state is not RefreshState.ACTIVE:
        raise DomainError("refresh_invalid", 401)
    await uow.session.execute(
        update(refresh_tokens).where(refresh_tokens.c.id == row.id).values(used_at=_now())
    )
    tokens = await issue_tokens(uow, policy, row.user_id, family_id=row.family_id)
    await uow.commit()
    return tokens


async def logout(uow: UnitOfWork, *, user_id: uuid.UUID, token: str | None) -> None:
    """Revoke the family of the given refresh token, or every family of the user without one."""
    if token is not None:
        row = await _find_refresh(uow, token)
        if row is not None and row.user_id == user_id:
            await _revoke_family(uow, row.family_id)
    else:
        await uow.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    await uow.commit()


async def reset_password(uow: UnitOfWork, *, phone: str, new_password: str) -> None:
    """After the caller spent a `reset` code: the new password, and every sign-in ends."""
    user_id = await uow.session.scalar(
        select(users.c.id).where(users.c.phone == phone, users.c.deleted_at.is_(None))
    )
    if user_id is None:
        raise DomainError("sms_code_invalid", 422)
    await uow.session.execute(
        update(users).where(users.c.id == user_id).values(password_hash=await hash_password(new_password))
    )
    await _revoke_all(uow, user_id)
    await uow.commit()


async def _revoke_all(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    await uow.session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


DELETED_NAME = "已注销用户"


async def account_for_deletion(uow: UnitOfWork, user_id: uuid.UUID) -> Any:
    row = (
        await uow.session.execute(
            select(users.c.id, users.c.phone, users.c.password_hash, users.c.community_id)
            .where(users.c.id == user_id, users.c.deleted_at.is_(None))
            .with_for_update()
        )
    ).first()
    if row is None:
        raise DomainError("account_deleted", 401)
    return row


async def delete_account(
    uow: UnitOfWork, rights: RightsBoard, *, user_id: uuid.UUID, community_id: uuid.UUID
) -> None:
    """注销 (PIPL art. 47): sign-in closes at once, the account is anonymised here and every
    service is told (`gateway.user.deleted.v1`) to erase what it holds of the person.

    Kept: the row itself with its id (orders' money and the services' records point at it), now
    naming nobody. Erased: phone, openid, password, name, real name, household binding, roles,
    claims' and applications' personal fields, notifications, SMS codes, refresh tokens."""
    phone = await uow.session.scalar(select(users.c.phone).where(users.c.id == user_id))
    await stamp(uow, rights, user_id, deleted=True)
    await uow.session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            phone=None,
            wechat_openid=None,
            password_hash=None,
            display_name=DELETED_NAME,
            real_name=None,
            household_id=None,
        )
    )
    await uow.session.execute(delete(role_grants).where(role_grants.c.user_id == user_id))
    await uow.session.execute(
        update(household_claims).where(household_claims.c.user_id == user_id).values(real_name=DELETED_NAME)
    )
    await uow.session.execute(
        update(courier_applications)
        .where(courier_applications.c.user_id == user_id)
        .values(real_name=DELETED_NAME, id_number_last4="****", note=None)
    )
    await uow.session.execute(delete(notifications).where(notifications.c.user_id == user_id))
    await uow.session.execute(delete(wechat_subscriptions).where(wechat_subscriptions.c.user_id == user_id))
    if phone is not None:
        await uow.session.execute(delete(sms_codes).where(sms_codes.c.phone == phone))
    await _revoke_all(uow, user_id)
    uow.emit(UserDeletedV1(community_id=community_id, user_id=user_id), actor_id=user_id)
    await uow.commit()


async def create_community(uow: UnitOfWork, *, code: str, name: str, timezone: str) -> dict[str, Any]:
    community_id = uuid.uuid4()
    result = await uow.session.execute(
        pg_insert(communities)
        .values(id=community_id, code=code, name=name, timezone=timezone)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(communities.c.id)
    )
    if result.first() is None:
        raise DomainError("community_code_taken", 409)
    uow.emit(CommunityCreatedV1(community_id=community_id, code=code, name=name))
    await uow.commit()
    return {"id": community_id, "code": code, "name": name, "timezone": timezone}


async def list_communities(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = await uow.session.execute(select(communities).order_by(communities.c.created_at, communities.c.id))
    return [dict(row._mapping) for row in rows]

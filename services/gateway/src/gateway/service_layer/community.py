"""Roles, the community directory, household claims and courier applications. Every query is
scoped to the caller's community; another community's object is simply not found."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import and_, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from contracts.gateway import HouseholdVerifiedV1, RoleGrantedV1, RoleRevokedV1, UserProfileChangedV1
from gateway import notification_texts
from gateway.adapters.rights import RightsBoard, stamp
from gateway.adapters.tables import (
    buildings,
    courier_applications,
    household_claims,
    households,
    role_grants,
    users,
)
from gateway.domain.identity import (
    APPROVAL,
    ApprovalAction,
    ApprovalState,
    department_for,
    mask_phone,
    may_grant,
)
from gateway.service_layer import notifications
from servicekit import idempotency
from servicekit.auth import CurrentUser
from servicekit.clock import system_clock as _now
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError

# Idempotency-Key scopes of the creating use cases.
HOUSEHOLD_CLAIMS = "gateway.household_claims.create"
COURIER_APPLICATIONS = "gateway.courier_applications.create"


async def _record_and_commit(
    uow: UnitOfWork, claim: idempotency.IdempotencyClaim | None, view: dict[str, Any]
) -> None:
    """Commit the creation together with the response an Idempotency-Key replays."""
    if claim is not None:
        await claim.record(uow, 201, jsonable_encoder(view))
    await uow.commit()


async def _user_in_community(uow: UnitOfWork, user_id: uuid.UUID, community_id: uuid.UUID) -> Any:
    row = (
        await uow.session.execute(
            select(users).where(users.c.id == user_id, users.c.community_id == community_id)
        )
    ).first()
    if row is None:
        raise DomainError("not_found", 404)
    return row


# -- roles ----------------------------------------------------------------------------------------
async def _grant(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    community_id: uuid.UUID,
    role: str,
    department: str | None,
    granted_by: uuid.UUID | None,
) -> bool:
    result = await uow.session.execute(
        pg_insert(role_grants)
        .values(
            user_id=user_id,
            community_id=community_id,
            role=role,
            department=department,
            granted_by=granted_by,
        )
        .on_conflict_do_nothing()
        .returning(role_grants.c.role)
    )
    if result.first() is None:
        return False  # already held: granting again is a no-op
    uow.emit(
        RoleGrantedV1(community_id=community_id, user_id=user_id, role=role, department=department),
        actor_id=granted_by,
    )
    return True


async def grant_role(
    uow: UnitOfWork,
    actor: CurrentUser,
    rights: RightsBoard,
    *,
    user_id: uuid.UUID,
    role: str,
    department: str | None,
) -> dict[str, Any]:
    if not may_grant(actor.roles, role):
        raise DomainError("forbidden", 403)
    await _user_in_community(uow, user_id, actor.community_id)
    department = department_for(role, department)
    if await _grant(
        uow,
        user_id=user_id,
        community_id=actor.community_id,
        role=role,
        department=department,
        granted_by=actor.id,
    ):
        await stamp(uow, rights, user_id)
    await uow.commit()
    return await roles_view(uow, user_id, actor.community_id)


async def revoke_role(
    uow: UnitOfWork, actor: CurrentUser, rights: RightsBoard, *, user_id: uuid.UUID, role: str
) -> None:
    if not may_grant(actor.roles, role):
        raise DomainError("forbidden", 403)
    await _user_in_community(uow, user_id, actor.community_id)
    result = await uow.session.execute(
        delete(role_grants)
        .where(
            role_grants.c.user_id == user_id,
            role_grants.c.community_id == actor.community_id,
            role_grants.c.role == role,
        )
        .returning(role_grants.c.department)
    )
    removed = result.first()
    if removed is not None:
        await stamp(uow, rights, user_id)
        uow.emit(
            RoleRevokedV1(
                community_id=actor.community_id,
                user_id=user_id,
                role=role,
                department=removed.department,
            ),
            actor_id=actor.id,
        )
    await uow.commit()


async def roles_view(uow: UnitOfWork, user_id: uuid.UUID, community_id: uuid.UUID) -> dict[str, Any]:
    rows = await uow.session.execute(
        select(role_grants.c.role, role_grants.c.department)
        .where(role_grants.c.user_id == user_id, role_grants.c.community_id == community_id)
        .order_by(role_grants.c.role)
    )
    return {"user_id": user_id, "roles": [{"role": r.role, "department": r.department} for r in rows]}


# -- profile --------------------------------------------------------------------------------------
async def profile_of(uow: UnitOfWork, user_id: uuid.UUID, community_id: uuid.UUID) -> dict[str, Any]:
    row = await _user_in_community(uow, user_id, community_id)
    household = None
    if row.household_id is not None:
        household = await _household_view(uow, row.household_id, community_id, with_flags=False)
    claim = (
        await uow.session.execute(
            select(household_claims.c.id, household_claims.c.status)
            .where(household_claims.c.user_id == user_id)
            .order_by(household_claims.c.created_at.desc())
            .limit(1)
        )
    ).first()
    application = await uow.session.scalar(
        select(courier_applications.c.status)
        .where(courier_applications.c.user_id == user_id)
        .order_by(courier_applications.c.created_at.desc())
        .limit(1)
    )
    roles = [held["role"] for held in (await roles_view(uow, user_id, community_id))["roles"]]
    return {
        "id": row.id,
        "community_id": row.community_id,
        "display_name": row.display_name,
        # Shown to the owner and to the committee/admin who can see a profile at all.
        "phone": row.phone,
        "phone_masked": mask_phone(row.phone),
        "locale": row.locale,
        "real_name": row.real_name,
        "roles": roles,
        "household": household,
        "household_claim": None if claim is None else {"id": claim.id, "status": claim.status},
        "courier_status": "approved" if "courier" in roles else application,
    }


async def update_profile(
    uow: UnitOfWork, user: CurrentUser, *, display_name: str | None, locale: str | None
) -> dict[str, Any]:
    changes = {
        name: value
        for name, value in (("display_name", display_name), ("locale", locale))
        if value is not None
    }
    if changes:
        before = await _user_in_community(uow, user.id, user.community_id)
        await uow.session.execute(
            update(users)
            .where(users.c.id == user.id, users.c.community_id == user.community_id)
            .values(**changes)
        )
        if any(getattr(before, name) != value for name, value in changes.items()):
            # The other services keep the name in their people projections.
            uow.emit(
                UserProfileChangedV1(
                    community_id=user.community_id,
                    user_id=user.id,
                    display_name=display_name or before.display_name,
                    locale=locale,
                ),
                actor_id=user.id,
            )
        await uow.commit()
    return await profile_of(uow, user.id, user.community_id)


async def find_by_phone(uow: UnitOfWork, actor: CurrentUser, phone: str) -> list[dict[str, Any]]:
    user_id = await uow.session.scalar(
        select(users.c.id).where(users.c.phone == phone, users.c.community_id == actor.community_id)
    )
    return [] if user_id is None else [await profile_of(uow, user_id, actor.community_id)]


# -- directory ------------------------------------------------------------------------------------
async def create_building(uow: UnitOfWork, actor: CurrentUser, *, name: str) -> dict[str, Any]:
    building_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                buildings.insert().values(id=building_id, community_id=actor.community_id, name=name)
            )
    except IntegrityError as exc:
        raise DomainError("directory_conflict", 409) from exc
    await uow.commit()
    return {"id": building_id, "name": name}


async def list_buildings(uow: UnitOfWork, actor: CurrentUser) -> list[dict[str, Any]]:
    rows = await uow.session.execute(
        select(buildings.c.id, buildings.c.name)
        .where(buildings.c.community_id == actor.community_id)
        .order_by(buildings.c.name)
    )
    return [dict(row._mapping) for row in rows]


async def create_household(
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    building_id: uuid.UUID,
    unit: str,
    room: str,
    flags: dict[str, bool],
) -> dict[str, Any]:
    building = await uow.session.scalar(
        select(buildings.c.id).where(
            buildings.c.id == building_id, buildings.c.community_id == actor.community_id
        )
    )
    if building is None:
        raise DomainError("not_found", 404)
    household_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                households.insert().values(
                    id=household_id,
                    community_id=actor.community_id,
                    building_id=building_id,
                    unit=unit,
                    room=room,
                    **flags,
                )
            )
    except IntegrityError as exc:
        raise DomainError("directory_conflict", 409) from exc
    await uow.commit()
    return await _household_view(uow, household_id, actor.community_id, with_flags=True)


_HOUSEHOLD_COLUMNS = (
    households.c.id,
    households.c.building_id,
    buildings.c.name.label("building"),
    households.c.unit,
    households.c.room,
    households.c.elderly_alone,
    households.c.disability,
    households.c.low_income,
    households.c.created_at,
)


def _shape_household(row: Any, with_flags: bool) -> dict[str, Any]:
    view = {
        "id": row.id,
        "building_id": row.building_id,
        "building": row.building,
        "unit": row.unit,
        "room": row.room,
    }
    if with_flags:
        # Vulnerability flags are for the committee and admins only (docs/architecture.md §4).
        view.update(elderly_alone=row.elderly_alone, disability=row.disability, low_income=row.low_income)
    return view


async def _household_view(
    uow: UnitOfWork, household_id: uuid.UUID, community_id: uuid.UUID, *, with_flags: bool
) -> dict[str, Any]:
    row = (
        await uow.session.execute(
            select(*_HOUSEHOLD_COLUMNS)
            .join_from(households, buildings, buildings.c.id == households.c.building_id)
            .where(households.c.id == household_id, households.c.community_id == community_id)
        )
    ).first()
    if row is None:
        raise DomainError("not_found", 404)
    return _shape_household(row, with_flags)


async def list_households(
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    building_id: uuid.UUID | None,
    limit: int,
    after: tuple[str, str, str] | None,
) -> tuple[list[dict[str, Any]], tuple[str, str, str] | None]:
    """Households by (building, unit, room); ``after`` is the last key of the previous page."""
    query = (
        select(*_HOUSEHOLD_COLUMNS)
        .join_from(households, buildings, buildings.c.id == households.c.building_id)
        .where(households.c.community_id == actor.community_id)
        .order_by(buildings.c.name, households.c.unit, households.c.room)
        .limit(limit + 1)
    )
    if building_id is not None:
        query = query.where(households.c.building_id == building_id)
    if after is not None:
        query = query.where(tuple_(buildings.c.name, households.c.unit, households.c.room) > after)
    rows = (await uow.session.execute(query)).all()
    items = [_shape_household(row, True) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return items, None if last is None else (last.building, last.unit, last.room)


# -- household claims ----------------------------------------------------------------------------
async def claim_household(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    household_id: uuid.UUID | None,
    address: tuple[str, str, str] | None,
    real_name: str,
    keyed: idempotency.Keyed,
) -> tuple[int, dict[str, Any]]:
    """A household claim, at most once per Idempotency-Key (a replay answers the stored one)."""
    idempotency_claim, stored = await keyed.claim(uow, scope=HOUSEHOLD_CLAIMS, user_id=user.id)
    if stored is not None:
        return stored.status, stored.body
    if household_id is None and address is not None:
        building, unit, room = address
        household_id = await uow.session.scalar(
            select(households.c.id)
            .join_from(households, buildings, buildings.c.id == households.c.building_id)
            .where(
                households.c.community_id == user.community_id,
                buildings.c.name == building,
                households.c.unit == unit,
                households.c.room == room,
            )
        )
    if household_id is None:
        raise DomainError("not_found", 404)
    await _household_view(uow, household_id, user.community_id, with_flags=False)
    claim_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                household_claims.insert().values(
                    id=claim_id,
                    community_id=user.community_id,
                    user_id=user.id,
                    household_id=household_id,
                    real_name=real_name,
                    status=ApprovalState.PENDING,
                )
            )
    except IntegrityError as exc:
        raise DomainError("claim_exists", 409) from exc
    view = await claim_view(uow, claim_id, user)
    await _record_and_commit(uow, idempotency_claim, view)
    return 201, view


def _applicant(row: Any) -> dict[str, Any]:
    """The person a claim or an application is from, as every view shows one."""
    return {"id": row.user_id, "display_name": row.applicant_name}


def _claim_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "applicant": _applicant(row),
        "household_id": row.household_id,
        "real_name": row.real_name,
        "status": row.status,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


def _claims_query() -> Any:
    return select(household_claims, users.c.display_name.label("applicant_name")).join(
        users, users.c.id == household_claims.c.user_id
    )


async def claim_view(uow: UnitOfWork, claim_id: uuid.UUID, viewer: CurrentUser) -> dict[str, Any]:
    """The claimant and the committee/admin of the community see a claim; anyone else gets 404."""
    query = _claims_query().where(
        household_claims.c.id == claim_id, household_claims.c.community_id == viewer.community_id
    )
    if not viewer.has_any("committee", "admin"):
        query = query.where(household_claims.c.user_id == viewer.id)
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise DomainError("not_found", 404)
    return _claim_fields(row)


async def list_claims(uow: UnitOfWork, actor: CurrentUser, *, status: str | None) -> list[dict[str, Any]]:
    """The community's claims, newest first, applicants named: one query."""
    query = (
        _claims_query()
        .where(household_claims.c.community_id == actor.community_id)
        .order_by(household_claims.c.created_at.desc(), household_claims.c.id)
        .limit(100)
    )
    if status is not None:
        query = query.where(household_claims.c.status == status)
    return [_claim_fields(row) for row in await uow.session.execute(query)]


async def decide_claim(
    uow: UnitOfWork,
    actor: CurrentUser,
    rights: RightsBoard,
    *,
    claim_id: uuid.UUID,
    approve: bool,
    publisher: notifications.Publisher | None = None,
) -> dict[str, Any]:
    row = (
        await uow.session.execute(
            select(household_claims)
            .where(household_claims.c.id == claim_id, household_claims.c.community_id == actor.community_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise DomainError("not_found", 404)
    step = APPROVAL.step(
        ApprovalState(row.status), ApprovalAction.APPROVE if approve else ApprovalAction.REJECT
    )
    target = step.after
    if step.changed:
        await uow.session.execute(
            update(household_claims)
            .where(household_claims.c.id == claim_id)
            .values(status=target, decided_by=actor.id, decided_at=_now())
        )
        if approve:
            household = await _household_view(uow, row.household_id, actor.community_id, with_flags=True)
            await uow.session.execute(
                update(users)
                .where(users.c.id == row.user_id)
                .values(household_id=row.household_id, real_name=row.real_name)
            )
            await stamp(uow, rights, row.user_id)
            uow.emit(
                HouseholdVerifiedV1(
                    community_id=actor.community_id,
                    household_id=row.household_id,
                    user_id=row.user_id,
                    building=household["building"],
                    unit=household["unit"],
                    room=household["room"],
                    elderly_alone=household["elderly_alone"],
                ),
                actor_id=actor.id,
            )
        await notifications.notify_decision(
            uow,
            publisher,
            community_id=actor.community_id,
            user_id=row.user_id,
            event_type=notification_texts.CLAIM_DECIDED,
            data={"claim_id": str(claim_id), "household_id": str(row.household_id), "status": target.value},
        )
        await uow.commit()
    return await claim_view(uow, claim_id, actor)


# -- courier applications ------------------------------------------------------------------------
async def apply_as_courier(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    real_name: str,
    id_number_last4: str,
    note: str | None,
    keyed: idempotency.Keyed,
) -> tuple[int, dict[str, Any]]:
    """A courier application, at most once per Idempotency-Key (a replay answers the stored one)."""
    idempotency_claim, stored = await keyed.claim(uow, scope=COURIER_APPLICATIONS, user_id=user.id)
    if stored is not None:
        return stored.status, stored.body
    application_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                courier_applications.insert().values(
                    id=application_id,
                    community_id=user.community_id,
                    user_id=user.id,
                    real_name=real_name,
                    id_number_last4=id_number_last4,
                    note=note,
                    status=ApprovalState.PENDING,
                )
            )
    except IntegrityError as exc:
        raise DomainError("application_exists", 409) from exc
    view = await application_view(uow, application_id, user)
    await _record_and_commit(uow, idempotency_claim, view)
    return 201, view


def _application_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "applicant": _applicant(row),
        "real_name": row.real_name,
        "id_number_last4": row.id_number_last4,
        "note": row.note,
        "status": row.status,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


def _applications_query() -> Any:
    return select(courier_applications, users.c.display_name.label("applicant_name")).join(
        users, users.c.id == courier_applications.c.user_id
    )


async def application_view(uow: UnitOfWork, application_id: uuid.UUID, viewer: CurrentUser) -> dict[str, Any]:
    query = _applications_query().where(
        courier_applications.c.id == application_id,
        courier_applications.c.community_id == viewer.community_id,
    )
    if not viewer.has_any("committee", "admin"):
        query = query.where(courier_applications.c.user_id == viewer.id)
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise DomainError("not_found", 404)
    return _application_fields(row)


async def list_applications(
    uow: UnitOfWork, actor: CurrentUser, *, status: str | None
) -> list[dict[str, Any]]:
    """The community's courier applications, newest first, applicants named: one query."""
    query = (
        _applications_query()
        .where(courier_applications.c.community_id == actor.community_id)
        .order_by(courier_applications.c.created_at.desc(), courier_applications.c.id)
        .limit(100)
    )
    if status is not None:
        query = query.where(courier_applications.c.status == status)
    return [_application_fields(row) for row in await uow.session.execute(query)]


async def decide_application(
    uow: UnitOfWork,
    actor: CurrentUser,
    rights: RightsBoard,
    *,
    application_id: uuid.UUID,
    approve: bool,
    publisher: notifications.Publisher | None = None,
) -> dict[str, Any]:
    row = (
        await uow.session.execute(
            select(courier_applications)
            .where(
                and_(
                    courier_applications.c.id == application_id,
                    courier_applications.c.community_id == actor.community_id,
                )
            )
            .with_for_update()
        )
    ).first()
    if row is None:
        raise DomainError("not_found", 404)
    step = APPROVAL.step(
        ApprovalState(row.status), ApprovalAction.APPROVE if approve else ApprovalAction.REJECT
    )
    target = step.after
    if step.changed:
        await uow.session.execute(
            update(courier_applications)
            .where(courier_applications.c.id == application_id)
            .values(status=target, decided_by=actor.id, decided_at=_now())
        )
        if approve and await _grant(
            uow,
            user_id=row.user_id,
            community_id=actor.community_id,
            role="courier",
            department=None,
            granted_by=actor.id,
        ):
            await stamp(uow, rights, row.user_id)
        await notifications.notify_decision(
            uow,
            publisher,
            community_id=actor.community_id,
            user_id=row.user_id,
            event_type=notification_texts.APPLICATION_DECIDED,
            data={"application_id": str(application_id), "status": target.value},
        )
        await uow.commit()
    return await application_view(uow, application_id, actor)

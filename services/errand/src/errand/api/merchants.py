"""Merchants of the living circle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from errand.api.deps import Ctx, Supervisor, UoW
from errand.api.schemas import CategoryList, MerchantIn, MerchantOut, MerchantPage
from errand.domain.merchants import CATEGORIES
from errand.service_layer import merchants as cases
from servicekit.auth import User
from servicekit.pagination import Cursor, Limit
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/errand", tags=["errand merchants"])


@router.get(
    "/merchants",
    summary="Merchants in the living circle, ?category=&q=",
    response_model=MerchantPage,
    response_model_exclude_unset=True,
)
async def list_merchants(
    user: User,
    uow: UoW,
    category: Annotated[Text | None, Query(max_length=32)] = None,
    q: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await cases.list_merchants(uow, user, category=category, q=q, limit=limit, cursor=cursor)


@router.get(
    "/merchants/categories",
    summary="Merchant categories with their names",
    response_model=CategoryList,
    response_model_exclude_unset=True,
)
async def categories(user: User) -> dict[str, Any]:
    return {"items": [{"code": code, "names": names} for code, names in CATEGORIES.items()]}


@router.post(
    "/merchants",
    status_code=201,
    summary="Add a merchant (committee, admin)",
    response_model=MerchantOut,
    response_model_exclude_unset=True,
)
async def create_merchant(body: MerchantIn, user: Supervisor, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.create_merchant(ctx, uow, user.community_id, body.model_dump())

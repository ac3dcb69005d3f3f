"""Orders as CSV for the committee and the admin, streamed from a server-side cursor.

What they may see of an order and no more (views.py, admin): buildings, never units, rooms,
address lines, contact names or phones; no parcel codes, bill accounts or delivery codes; no
free-text notes or rating comments. People appear by id. Fixed Chinese headers; money in yuan.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from errand.adapters.tables import orders
from servicekit.csv_export import query_csv, yes_no
from servicekit.runtime import ServiceRuntime

HEADER = [
    "编号",  # id
    "下单时间",  # created_at
    "类型",  # order_type
    "状态",  # status
    "下单人编号",  # requester_id
    "跑腿员编号",  # courier_id
    "取件楼号",  # pickup_building
    "送达楼号",  # dropoff_building
    "距离(米)",  # distance_m
    "价格(元)",  # price_fen
    "小费(元)",  # tip_fen
    "取消费(元)",  # cancel_fee_fen
    "预约时间",  # scheduled_at
    "接单时间",  # accepted_at
    "送达时间",  # delivered_at
    "完成时间",  # completed_at
    "完成方式",  # completion
    "独居老人",  # elderly_alone (committee and admin see the flag)
    "取消原因",  # cancel_reason
    "失败原因",  # fail_reason
    "评分",  # rating_stars
]

_COLUMNS = (
    orders.c.id,
    orders.c.created_at,
    orders.c.order_type,
    orders.c.status,
    orders.c.requester_id,
    orders.c.courier_id,
    orders.c.pickup_building,
    orders.c.dropoff_building,
    orders.c.distance_m,
    orders.c.price_fen,
    orders.c.tip_fen,
    orders.c.cancel_fee_fen,
    orders.c.scheduled_at,
    orders.c.accepted_at,
    orders.c.delivered_at,
    orders.c.completed_at,
    orders.c.completion,
    orders.c.elderly_alone,
    orders.c.cancel_reason,
    orders.c.fail_reason,
    orders.c.rating_stars,
)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _line(row: Any) -> list[object]:
    return [
        row.id,
        row.created_at,
        row.order_type,
        row.status,
        row.requester_id,
        row.courier_id,
        row.pickup_building,
        row.dropoff_building,
        row.distance_m,
        yuan(row.price_fen),
        yuan(row.tip_fen),
        yuan(row.cancel_fee_fen),
        row.scheduled_at,
        row.accepted_at,
        row.delivered_at,
        row.completed_at,
        row.completion,
        yes_no(row.elderly_alone),
        row.cancel_reason,
        row.fail_reason,
        row.rating_stars,
    ]


def export_orders(
    runtime: ServiceRuntime, *, community_id: uuid.UUID, since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    conditions: list[Any] = [orders.c.community_id == community_id]
    if since is not None:
        conditions.append(orders.c.created_at >= since)
    if until is not None:
        conditions.append(orders.c.created_at < until)
    query = select(*_COLUMNS).where(*conditions).order_by(orders.c.created_at, orders.c.id)
    return query_csv(runtime.uow, query, HEADER, _line)

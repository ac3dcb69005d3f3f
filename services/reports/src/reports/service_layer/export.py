"""Reports with their SLA figures as CSV, for the office's own spreadsheets. Streamed from a
server-side cursor: a year of reports never sits in memory at once.

Columns are fixed Chinese headers (the office's Excel, whatever the caller's language); values
that are codes (category, department, status, source) stay codes so a sheet can be filtered
the same way in every language, next to the category's Chinese name.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from reports.adapters.tables import categories, reports
from servicekit.csv_export import query_csv, yes_no
from servicekit.runtime import ServiceRuntime

HEADER = [
    "编号",  # id
    "提交时间",  # submitted_at
    "类别",  # category code
    "类别名称",  # category, Chinese name
    "部门",  # department
    "状态",  # status
    "来源",  # source
    "楼号",
    "单元",
    "房号",
    "位置",  # area
    "公共区域",  # public_area
    "描述",
    "处理人编号",  # assignee id
    "受理时限",  # due_accept_at
    "办结时限",  # due_resolve_at
    "受理时间",  # accepted_at
    "首次办结时间",  # first_resolved_at
    "办结时间",  # resolved_at
    "关闭时间",  # closed_at
    "受理超时",  # accept breached
    "办结超时",  # resolve breached
    "受理用时(分钟)",  # accepted_at - submitted_at
    "办结用时(分钟)",  # first_resolved_at - submitted_at
    "暂停时长(分钟)",  # paused_seconds
    "重开次数",  # reopen_count
    "督办",  # supervised
    "评分",  # rating_overall
]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


def _line(row: Any) -> list[object]:
    return [
        row.id,
        row.submitted_at,
        row.category,
        row.name_zh,
        row.department,
        row.status,
        row.source,
        row.building,
        row.unit,
        row.room,
        row.area,
        yes_no(row.public_area),
        row.description,
        row.assignee_id,
        row.due_accept_at,
        row.due_resolve_at,
        row.accepted_at,
        row.first_resolved_at,
        row.resolved_at,
        row.closed_at,
        yes_no(row.accept_breached_at is not None),
        yes_no(row.resolve_breached_at is not None),
        _minutes(row.submitted_at, row.accepted_at),
        _minutes(row.submitted_at, row.first_resolved_at),
        round(row.paused_seconds / 60, 1),
        row.reopen_count,
        yes_no(row.supervised_at is not None),
        row.rating_overall,
    ]


def export_reports(
    runtime: ServiceRuntime,
    *,
    community_id: uuid.UUID,
    departments: Collection[str] | None,
    since: datetime | None,
    until: datetime | None,
    category: str | None,
) -> AsyncIterator[bytes]:
    """``departments`` None: every department (the committee); else only those (a manager's)."""
    conditions: list[Any] = [reports.c.community_id == community_id]
    if departments is not None:
        conditions.append(reports.c.department.in_(list(departments)))
    if since is not None:
        conditions.append(reports.c.submitted_at >= since)
    if until is not None:
        conditions.append(reports.c.submitted_at < until)
    if category is not None:
        conditions.append(reports.c.category == category)
    query = (
        select(reports, categories.c.name_zh)
        .outerjoin(
            categories,
            and_(
                categories.c.community_id == reports.c.community_id, categories.c.code == reports.c.category
            ),
        )
        .where(*conditions)
        .order_by(reports.c.submitted_at, reports.c.id)
    )
    return query_csv(runtime.uow, query, HEADER, _line)

"""`GET /api/v1/reports/export.csv`: reports with their SLA figures for managers and the committee.
Registered before the reports router, whose `/{report_id}` would otherwise claim the path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from reports.api.deps import Context, settings_of
from reports.service_layer.export import export_reports
from servicekit.app import get_runtime
from servicekit.csv_export import csv_response, time_range
from servicekit.errors import ProblemError
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM, Chinese headers"}},
)
async def export_csv(
    request: Request,
    ctx: Context,
    from_: Annotated[Text | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[Text | None, Query(max_length=40)] = None,
    category: Annotated[Text | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Reports submitted in `[from, to)` (ISO 8601 dates or date-times; a date `to` includes its
    day), oldest first. The committee gets every department, a manager their own."""
    actor = ctx.actor
    if actor.is_committee:
        departments = None
    elif "property_manager" in actor.roles:
        departments = (
            [actor.departments["property_manager"]] if "property_manager" in actor.departments else []
        )
    else:
        raise ProblemError("forbidden", 403)
    since, until = time_range(from_, to, settings_of(request).community_timezone)
    chunks = export_reports(
        get_runtime(request),
        community_id=actor.community_id,
        departments=departments,
        since=since,
        until=until,
        category=category,
    )
    return csv_response("reports.csv", chunks)

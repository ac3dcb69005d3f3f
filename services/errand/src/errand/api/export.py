"""`GET /api/v1/errand/orders/export.csv` for the committee and the admin. Registered before the
orders router, whose `/orders/{order_id}` would otherwise claim the path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from errand.api.deps import Ctx, Supervisor
from errand.service_layer.export import export_orders
from servicekit.app import get_runtime
from servicekit.csv_export import csv_response, time_range
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/errand", tags=["errand orders"])


@router.get(
    "/orders/export.csv",
    response_class=StreamingResponse,
    summary="Orders as CSV (UTF-8 with BOM) for the committee and the admin",
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM, Chinese headers"}},
)
async def export_csv(
    request: Request,
    user: Supervisor,
    ctx: Ctx,
    from_: Annotated[Text | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[Text | None, Query(max_length=40)] = None,
) -> StreamingResponse:
    """Orders created in `[from, to)` (ISO 8601 dates or date-times; a date `to` includes its
    day), oldest first: buildings only, no addresses, phones or codes."""
    since, until = time_range(from_, to, ctx.settings.community_timezone)
    chunks = export_orders(get_runtime(request), community_id=user.community_id, since=since, until=until)
    return csv_response("orders.csv", chunks)

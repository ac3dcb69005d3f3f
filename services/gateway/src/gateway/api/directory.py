"""/api/v1/community/directory: the office's sheet in (CSV or XLSX) and out (CSV for Excel)."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

import gateway.directory_messages  # noqa: F401  (registers the import's codes)
from gateway.api.deps import CommitteeOrAdmin
from gateway.domain import directory_import
from gateway.service_layer import directory
from servicekit.app import UoW
from servicekit.csv_export import csv_response
from servicekit.errors import ProblemError
from servicekit.i18n import negotiate_locale, translate

router = APIRouter(tags=["community"])

IMPORT_PATH = "/api/v1/community/directory/import"
# A sheet wrong on every row would otherwise answer with megabytes of errors; the first thousand
# are listed and `error_count` says how many there are.
MAX_LISTED_ERRORS = 1_000


class RowErrorOut(BaseModel):
    row: int
    column: str
    code: str
    message: str


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    errors: list[RowErrorOut]


@router.post(
    IMPORT_PATH,
    response_model=ImportOut,
    responses={
        413: {"description": "the file is over 10 MB"},
        415: {"description": "the file is neither CSV (UTF-8) nor XLSX: `directory_file_unsupported`"},
        422: {"description": "a column is missing, or rows are wrong (`directory_rows_invalid`, listed)"},
    },
)
async def import_directory(
    request: Request,
    actor: CommitteeOrAdmin,
    uow: UoW,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, BOM or not) or XLSX, at most 10 MB")],
    dry_run: bool = False,
) -> dict[str, Any]:
    """Create and update the households a sheet lists; any wrong row and nothing is applied.
    With `dry_run=true` the answer says what would happen and nothing is written."""
    data = await file.read(directory_import.MAX_FILE_BYTES + 1)
    try:
        # Parsing 50,000 rows takes a while: off the event loop, so other requests go on.
        sheet = await to_thread.run_sync(directory_import.read, data)
    except directory_import.SheetError as error:
        raise ProblemError(error.code, error.status, params=error.params, extra=error.params) from None
    if sheet.errors:
        locale = negotiate_locale(request.headers.get("accept-language"))
        errors = [
            {
                "row": error.row,
                "column": error.column,
                "code": error.code,
                "message": translate(
                    error.code, locale, {"column": _label(error.column, locale), **error.params}
                )[1],
            }
            for error in sheet.errors[:MAX_LISTED_ERRORS]
        ]
        raise ProblemError(
            "directory_rows_invalid",
            422,
            params={"count": len(sheet.errors)},
            extra={
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "errors": errors,
                "error_count": len(sheet.errors),
            },
        )
    async with uow:
        outcome = await directory.import_directory(uow, actor, sheet.households, dry_run=dry_run)
    return {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "errors": [],
    }


def _label(column: str, locale: str) -> str:
    return directory_import.CHINESE_HEADERS.get(column, column) if locale == "zh-CN" else column


@router.get(
    "/api/v1/community/directory/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM, Chinese headers"}},
)
async def export_directory(actor: CommitteeOrAdmin, uow: UoW) -> StreamingResponse:
    """The directory with its vulnerability flags, in the import's own columns (Chinese headers)."""
    return csv_response("directory.csv", await directory.export_directory(uow, actor))

"""Open311 GeoReport v2 at `/open311/v2` (http://wiki.open311.org/GeoReport_v2), JSON and XML.

- `jurisdiction_id` names the community (its UUID): one deployment serves many communities, and
  the specification makes the parameter required exactly when an endpoint serves several.
- Services are the community's active categories (`type` realtime, `group` the department);
  each has one optional attribute, `building`.
- POST needs an `api_key` made by an admin of the community (`/api/v1/reports/open311-keys`);
  the report is filed without a WeiLinli account and is a public-area report. Contact fields
  (email, phone, names, device_id) are accepted as the specification demands but not stored.
- GET lists only public-area reports: in-home reports are private to the reporter and staff.
- Our statuses map to `open` / `closed`; the detailed state is in `status_notes`.
- Errors are `[{code, description}]` (XML `<errors><error>`), status 400, 403 or 404; main.py
  routes every error under `/open311/` here, including validation and unknown paths.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from reports.adapters import repository as repo
from reports.api.deps import clock, settings_of
from reports.api.open311_answers import (
    Created,
    Discovery,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenMatch,
    answers,
)
from reports.api.open311_format import FORMATS, Open311Error, render
from reports.domain.model import Status, open311_status
from reports.service_layer import categories as category_cases
from reports.service_layer import open311 as open311_cases
from reports.service_layer import reports as cases
from servicekit.app import get_runtime
from servicekit.db import UnitOfWork
from servicekit.i18n import negotiate_locale
from servicekit.logging import correlation_id_var
from servicekit.text import has_forbidden_characters, xml_safe

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22 00:00"
DEFAULT_RANGE = timedelta(days=90)
DEPARTMENT_NAMES = {
    "property": "物业公司 Property company",
    "heating": "供热公司 Heating company",
    "police": "社区民警 Community police",
    "urban_management": "城管 Urban management",
    "committee": "社区居委会 Community committee",
}


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} is not offered; use json or xml")
    return fmt


def _uuid(value: str | None, what: str) -> uuid.UUID:
    if not value:
        raise Open311Error(400, f"{what} is required")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Open311Error(404, f"{what} {value!r} not found") from exc


def _refuse_control_characters(fields: Mapping[str, str]) -> None:
    """NUL and XML-illegal control characters in any parameter: 422, as everywhere else."""
    for name, value in fields.items():
        if has_forbidden_characters(name) or has_forbidden_characters(value):
            raise Open311Error(
                422,
                f"{xml_safe(name)!r} must not contain NUL or control characters other than tab, "
                "line feed and carriage return",
            )


def _jurisdiction(request: Request) -> uuid.UUID:
    _refuse_control_characters(request.path_params)
    _refuse_control_characters(request.query_params)
    return _uuid(request.query_params.get("jurisdiction_id"), "jurisdiction_id")


def _uow(request: Request) -> UnitOfWork:
    return get_runtime(request).uow(correlation_id=correlation_id_var.get())


def _name(row: Any, locale: str) -> str:
    return str({"zh-CN": row["name_zh"], "en": row["name_en"], "ko": row["name_ko"]}[locale])


# -- discovery and services ------------------------------------------------------------------------
@router.get(
    "/discovery.{fmt}", response_class=Response, summary="Open311 discovery", responses=answers(Discovery)
)
async def discovery(fmt: str, request: Request) -> Response:
    base = settings_of(request).public_base_url.rstrip("/")
    async with _uow(request) as uow:
        known = await open311_cases.jurisdictions(uow)
    data = {
        "changeset": CHANGESET,
        "contact": "WeiLinli property office; API keys from your community's administrator",
        "key_service": f"{base}/api/v1/reports/open311-keys",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        # Not in GeoReport v2's discovery, which assumes one city: the jurisdictions this endpoint
        # serves, so a client knows which `jurisdiction_id` to send (the community's id) and for
        # which community (its code and name).
        "jurisdictions": [
            {"jurisdiction_id": str(row.id), "code": row.code, "name": row.name} for row in known
        ],
    }
    return render(_format(fmt), data, root="discovery")


@router.get(
    "/services.{fmt}",
    response_class=Response,
    summary="Open311 service list",
    responses=answers(list[Service]),
)
async def services(fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    community_id = _jurisdiction(request)
    locale = negotiate_locale(request.headers.get("accept-language"))
    async with _uow(request) as uow:
        rows = await category_cases.list_categories(uow, community_id)
    data = [
        {
            "service_code": row["code"],
            "service_name": _name(row, locale),
            "description": f"{row['name_zh']} / {row['name_en']} / {row['name_ko']}",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join([row["code"], row["department"]]),
            "group": row["department"],
        }
        for row in rows
        if row["active"]
    ]
    return render(fmt, data, root="services", item="service")


@router.get(
    "/services/{service_code}.{fmt}",
    response_class=Response,
    summary="Open311 service definition",
    responses=answers(ServiceDefinition),
)
async def service_definition(service_code: str, fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    community_id = _jurisdiction(request)
    async with _uow(request) as uow:
        row = await category_cases.get_category(uow, community_id, service_code)
    if row is None or not row["active"]:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    data = {
        "service_code": row["code"],
        "attributes": [
            {
                "variable": True,
                "code": "building",
                "datatype": "string",
                "required": False,
                "datatype_description": "Building label as the community writes it, e.g. 3 or 3号楼",
                "order": 1,
                "description": "Building (楼号)",
                "values": [],
            }
        ],
    }
    return render(fmt, data, root="service_definition")


# -- requests ----------------------------------------------------------------------------------------
POST_FIELDS = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "attribute[building]",
]
POST_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {name: {"type": "string"} for name in POST_FIELDS},
                }
            }
        },
    }
}


async def _check_key(uow: UnitOfWork, api_key: str | None) -> uuid.UUID:
    if not api_key:
        raise Open311Error(403, "api_key is required")
    community_id = await open311_cases.community_of_key(uow, api_key)
    if community_id is None:
        raise Open311Error(403, "api_key is not valid")
    return community_id


def _float(value: str | None, what: str, bound: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise Open311Error(400, f"{what} must be a number") from exc
    if not -bound <= number <= bound:
        raise Open311Error(400, f"{what} is out of range")
    return number


@router.post(
    "/requests.{fmt}",
    status_code=201,
    response_class=Response,
    summary="Open311 create service request",
    responses=answers(list[Created], 201),
    openapi_extra=POST_DOC,
)
async def create_request(fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    try:
        form = await request.form()
    except Exception as exc:  # malformed bodies are the client's error, not ours
        raise Open311Error(400, "the body must be application/x-www-form-urlencoded") from exc
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    _refuse_control_characters(fields)
    _refuse_control_characters(request.query_params)
    async with _uow(request) as uow:
        community_id = await _check_key(uow, fields.get("api_key"))
        jurisdiction = fields.get("jurisdiction_id") or request.query_params.get("jurisdiction_id")
        if jurisdiction and _uuid(jurisdiction, "jurisdiction_id") != community_id:
            raise Open311Error(403, "api_key does not belong to this jurisdiction_id")
        code = fields.get("service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        category = await repo.get_category(uow.session, community_id, code)
        if category is None or not category["active"]:
            raise Open311Error(404, f"service_code {code!r} not found")
        lat = _float(fields.get("lat"), "lat", 90)
        lng = _float(fields.get("long"), "long", 180)
        address = (fields.get("address_string") or "").strip()[:200] or None
        address_id = (fields.get("address_id") or "").strip()[:64] or None
        if (lat is None or lng is None) and address is None and address_id is None:
            raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
        description = (fields.get("description") or "").strip()[:4000] or _name(category, "zh-CN")
        building = (fields.get("attribute[building]") or "").strip()[:64] or None
        token = uuid.uuid4()
        created = await cases.file_public(
            uow,
            community_id=community_id,
            new=cases.NewReport(
                category=code,
                description=description,
                building=building,
                area=address or address_id,
                lat=lat,
                lng=lng,
                public_area=True,
                source="open311",
                open311_token=token,
            ),
            now=clock(request),
        )
    # A realtime service (the report exists once this answer is sent) answers the
    # service_request_id, never a token (GeoReport v2, POST Service Request).
    data = [
        {
            "service_request_id": str(created["id"]),
            "service_notice": f"受理时限 {category['sla_accept_hours']} 小时 / accepted within "
            f"{category['sla_accept_hours']} h",
            "account_id": None,
        }
    ]
    return render(fmt, data, root="service_requests", item="request", status=201)


def _status_notes(row: Any) -> str:
    notes = [row["status"]]
    if row["status"] == Status.REJECTED.value and row["reject_reason"]:
        notes.append(row["reject_reason"])
    if row["resolution_note"] and row["status"] in (Status.RESOLVED.value, Status.CLOSED.value):
        notes.append(row["resolution_note"])
    return ": ".join(notes)


def _request_out(row: Any, names: Mapping[str, str]) -> dict[str, Any]:
    address = " ".join(part for part in (row["building"], row["area"]) if part) or None
    return {
        "service_request_id": str(row["id"]),
        "status": open311_status(Status(row["status"])),
        "status_notes": _status_notes(row),
        "service_name": names.get(row["category"], row["category"]),
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": DEPARTMENT_NAMES.get(row["department"], row["department"]),
        "service_notice": None,
        "requested_datetime": row["submitted_at"],
        "updated_datetime": row["updated_at"],
        "expected_datetime": row["due_resolve_at"],
        "address": address,
        "address_id": row["building"],
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lng"],
        "media_url": None,
    }


def _date(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{what} must be a W3C datetime such as 2010-01-01T00:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _names(uow: UnitOfWork, community_id: uuid.UUID, locale: str) -> dict[str, str]:
    rows = await category_cases.list_categories(uow, community_id)  # seeds them on a first request
    return {row["code"]: _name(row, locale) for row in rows}


def _ids(raw: str) -> list[uuid.UUID]:
    ids = []
    for part in raw.split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue  # an id that cannot exist simply matches nothing
    return ids


@router.get(
    "/requests.{fmt}",
    response_class=Response,
    summary="Open311 service requests",
    responses=answers(list[ServiceRequest]),
)
async def list_requests(fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    community_id = _jurisdiction(request)
    params = request.query_params
    if params.get("service_request_id"):
        # The specification: service_request_id overrides every other parameter.
        query = open311_cases.RequestQuery(ids=_ids(params["service_request_id"]))
    else:
        start, end = _date(params.get("start_date"), "start_date"), _date(params.get("end_date"), "end_date")
        if start is not None and end is not None and start > end:
            raise Open311Error(400, "start_date is after end_date")
        if start is None and end is None:
            end = clock(request)
            start = end - DEFAULT_RANGE
        wanted: frozenset[str] = frozenset()
        if params.get("status"):
            wanted = frozenset(s.strip() for s in params["status"].split(","))
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status must be open and/or closed")
        query = open311_cases.RequestQuery(
            start=start,
            end=end,
            service_codes=(
                [c.strip() for c in params["service_code"].split(",")] if params.get("service_code") else None
            ),
            status=wanted,
        )
    locale = negotiate_locale(request.headers.get("accept-language"))
    async with _uow(request) as uow:
        names = await _names(uow, community_id, locale)
        rows = await open311_cases.public_requests(uow, community_id, query)
    return render(fmt, [_request_out(row, names) for row in rows], root="service_requests", item="request")


@router.get(
    "/requests/{service_request_id}.{fmt}",
    response_class=Response,
    summary="Open311 one service request",
    responses=answers(list[ServiceRequest]),
)
async def get_request(service_request_id: str, fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    community_id = _jurisdiction(request)
    report_id = _uuid(service_request_id, "service_request_id")
    locale = negotiate_locale(request.headers.get("accept-language"))
    async with _uow(request) as uow:
        row = await repo.load_report(uow.session, community_id, report_id)
        if row is None or not row["public_area"]:
            raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
        names = await _names(uow, community_id, locale)
    return render(fmt, [_request_out(row, names)], root="service_requests", item="request")


@router.get(
    "/tokens/{token}.{fmt}",
    response_class=Response,
    summary="Open311 request id from a token",
    responses=answers(list[TokenMatch]),
)
async def token_lookup(token: str, fmt: str, request: Request) -> Response:
    fmt = _format(fmt)
    community_id = _jurisdiction(request)
    token_id = _uuid(token, "token")
    async with _uow(request) as uow:
        report_id = await open311_cases.token_report(uow, community_id, token_id)
    if report_id is None:
        raise Open311Error(404, f"token {token!r} not found")
    return render(
        fmt, [{"service_request_id": str(report_id), "token": token}], root="service_requests", item="request"
    )

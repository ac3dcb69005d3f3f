"""What Open311 GeoReport v2 answers (reports.api.open311), for the OpenAPI description.

The routes render JSON or XML by the `.{fmt}` suffix, so they describe both: the JSON body by
these models (documentation only: the route renders the body itself) and XML as a string.
"""

from __future__ import annotations

from typing import Any

from servicekit.answers import Number, Out, Timestamp


class Endpoint(Out):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(Out):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(Out):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Attribute(Out):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[dict[str, Any]]


class ServiceDefinition(Out):
    service_code: str
    attributes: list[Attribute]


class Created(Out):
    service_request_id: str
    token: str
    service_notice: str | None = None
    account_id: str | None = None


class ServiceRequest(Out):
    service_request_id: str
    status: str
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: Timestamp
    updated_datetime: Timestamp | None = None
    expected_datetime: Timestamp | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: Number | None = None
    long: Number | None = None
    media_url: str | None = None


class TokenMatch(Out):
    service_request_id: str
    token: str


def answers(model: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering `model` as JSON, or XML (`.xml`)."""
    return {
        status: {
            "model": model,
            "description": "JSON (`.json`) or XML (`.xml`)",
            "content": {"text/xml": {"schema": {"type": "string"}}},
        }
    }

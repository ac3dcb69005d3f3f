"""Open311 GeoReport v2 documents: JSON or XML (W3C datetimes, XML-safe text, singular item names),
and its errors as `[{code, description}]` (XML `<errors><error>`)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from fastapi import Response
from fastapi.responses import JSONResponse

from servicekit.text import xml_safe

FORMATS = {"json": "application/json", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(path: str, status: int, description: str) -> Response:
    fmt = "xml" if path.rstrip("/").endswith(".xml") else "json"
    code = (
        status
        if status in (400, 403, 404, 422)
        else (403 if status == 401 else (400 if status < 500 else 500))
    )
    errors = [{"code": code, "description": description}]
    return render(fmt, errors, root="errors", item="error", status=code)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _w3c(value)
    # Input is refused with such characters, but text stored before that (or written by another
    # path) must never make the document unparseable for every client.
    return xml_safe(str(value))


def _w3c(value: datetime) -> str:
    """The specification's W3C datetime: seconds and an offset, e.g. 2010-04-14T06:37:38+08:00."""
    return value.isoformat(timespec="seconds")


def _xml_add(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _xml_add(child, key, inner)
    elif isinstance(value, list):
        singular = {
            "endpoints": "endpoint",
            "formats": "format",
            "attributes": "attribute",
            "values": "value",
            "jurisdictions": "jurisdiction",
        }.get(name, "item")
        for inner in value:
            _xml_add(child, singular, inner)
    else:
        child.text = _text(value)


def render(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(_jsonable(data), status_code=status)
    element = ET.Element(root)
    if item is not None:
        for entry in cast(Sequence[Mapping[str, Any]], data):
            _xml_add(element, item, entry)
    else:
        for key, value in cast(Mapping[str, Any], data).items():
            _xml_add(element, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def _jsonable(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {key: _jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_jsonable(value) for value in data]
    if isinstance(data, datetime):
        return _w3c(data)
    if isinstance(data, uuid.UUID):
        return str(data)
    return data

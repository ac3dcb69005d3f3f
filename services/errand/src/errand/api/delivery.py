"""The body of `/deliver`, in either of two forms.

- `application/json` `{delivery_code, proof_note?}`: the contract's form, unchanged.
- `multipart/form-data` with the fields `delivery_code`, `proof_note?` and a file `photo?`: the
  same hand-over with a proof photo, in one request, so that the photo can never outlive a
  refused code and the courier's app needs one tap at the door (README: "Proof photo").

Both forms are validated by the same `DeliverIn` model (unknown fields are a 422); FastAPI cannot
bind one parameter to two media types, hence the hand-written parsing and OpenAPI entry."""

from __future__ import annotations

import json
from typing import Any, cast

from fastapi import Request, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from errand.api.schemas import DeliverIn
from errand.service_layer.proof_photos import StagedPhoto, stage
from servicekit.photos import PhotoStorage

PHOTO_FIELD = "photo"
# A form without a file may come url-encoded (what an HTML form or a simple client sends).
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_TEXT_FIELDS = ("delivery_code", "proof_note")

_json_schema = DeliverIn.model_json_schema()
_multipart_schema: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": _json_schema.get("required", []),
    "properties": {
        "delivery_code": _json_schema["properties"]["delivery_code"],
        # A form field is present or absent; it has no null.
        "proof_note": {"type": "string", "maxLength": 500},
        PHOTO_FIELD: {
            "type": "string",
            "format": "binary",
            "description": "optional proof photo: JPEG, PNG or WebP, at most 10 MB",
        },
    },
}
_urlencoded_schema: dict[str, Any] = {
    **_multipart_schema,
    "properties": {name: _multipart_schema["properties"][name] for name in _TEXT_FIELDS},
}
DELIVER_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _json_schema},
            "multipart/form-data": {"schema": _multipart_schema},
            "application/x-www-form-urlencoded": {"schema": _urlencoded_schema},
        },
    }
}


def _invalid(errors: list[dict[str, Any]]) -> RequestValidationError:
    return RequestValidationError(errors)


def _validated(data: Any) -> DeliverIn:
    try:
        return DeliverIn.model_validate(data)
    except ValidationError as exc:
        raise _invalid(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc


async def read_delivery(
    request: Request, store: PhotoStorage, *, keep_photo: bool = True
) -> tuple[DeliverIn, StagedPhoto | None]:
    """The validated fields and, when one was sent and ``keep_photo``, the cleaned (not yet
    stored) photo. A photo that would not be kept is not read (its form part is still checked)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in FORM_MEDIA_TYPES:
        return await _read_form(request, store, keep_photo)
    if media_type and not (media_type == "application/json" or media_type.endswith("+json")):
        # What FastAPI answers for a JSON body sent as anything else.
        raise _invalid(
            [{"type": "model_attributes_type", "loc": ("body",), "msg": "a JSON object", "input": None}]
        )
    raw = await request.body()
    if not raw:
        raise _invalid([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _invalid(
            [{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error", "input": {}}]
        ) from exc
    return _validated(data), None


async def _read_form(
    request: Request, store: PhotoStorage, keep_photo: bool
) -> tuple[DeliverIn, StagedPhoto | None]:
    async with request.form(max_files=1, max_fields=len(_TEXT_FIELDS)) as form:
        fields: dict[str, Any] = {}
        upload: StarletteUploadFile | None = None
        for name, value in form.multi_items():
            if name in fields or (name == PHOTO_FIELD and upload is not None):
                raise _invalid(
                    [{"type": "duplicate", "loc": ("body", name), "msg": "sent twice", "input": None}]
                )
            if name == PHOTO_FIELD:
                if not isinstance(value, StarletteUploadFile):
                    raise _invalid(
                        [{"type": "file_expected", "loc": ("body", name), "msg": "a file", "input": None}]
                    )
                upload = value
            elif isinstance(value, StarletteUploadFile):
                raise _invalid(
                    [{"type": "string_type", "loc": ("body", name), "msg": "a text field", "input": None}]
                )
            else:
                fields[name] = value
        body = _validated(fields)
        # FastAPI's UploadFile is Starlette's with extra schema hooks; only read() is used here.
        photo = await stage(cast(UploadFile, upload), store) if upload is not None and keep_photo else None
    return body, photo

"""servicekit.answers.Out: a response model that describes a use case's JSON and sends it back
byte for byte (key order, absent fields, unknown fields, ints and floats), through FastAPI."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from servicekit.answers import Id, Number, Out, PersonOut, Timestamp


class Item(Out):
    id: Id
    author: PersonOut | None = None
    score: Number
    created_at: Timestamp
    note: str | None = None


class Page(Out):
    items: list[Item]
    next_cursor: str | None = None


BODY: dict[str, Any] = {
    # keys deliberately not in the models' order; `extra` is not in the model; `note` is absent
    "next_cursor": None,
    "extra": {"z": 1, "a": [1, 2.5]},
    "items": [
        {
            "score": 3,
            "created_at": "2026-12-03T15:00:00+00:00",
            "id": "6f1c1a5e-3c1e-4b7e-9a59-0d8f8c1d2b3a",
            "author": {"display_name": "吕女士", "id": "0d8f8c1d-2b3a-4b7e-9a59-6f1c1a5e3c1e"},
        },
        {"id": "0d8f8c1d-2b3a-4b7e-9a59-6f1c1a5e3c1e", "score": 2.5, "created_at": "x", "author": None},
    ],
}


async def test_a_typed_answer_is_byte_for_byte_the_untyped_one() -> None:
    app = FastAPI()

    @app.get("/typed", response_model=Page)
    async def typed() -> dict[str, Any]:
        return BODY

    @app.get("/untyped")
    async def untyped() -> dict[str, Any]:
        return BODY

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        typed_bytes = (await client.get("/typed")).content
        untyped_bytes = (await client.get("/untyped")).content
    assert typed_bytes == untyped_bytes == JSONResponse(jsonable_encoder(BODY)).body
    assert list(json.loads(typed_bytes)["items"][0]) == ["score", "created_at", "id", "author"]
    assert '"score":3,' in typed_bytes.decode()  # an int stays an int


async def test_the_model_still_checks_the_shape() -> None:
    """A drifting answer is a server error the tests see, not a silently wrong document."""
    app = FastAPI()

    @app.get("/drift", response_model=Page)
    async def drift() -> dict[str, Any]:
        return {"items": [{"id": 1}], "next_cursor": None}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        assert (await client.get("/drift")).status_code == 500


def test_the_schema_lists_the_fields() -> None:
    schema = Page.model_json_schema(mode="serialization")
    item = schema["$defs"]["Item"]
    assert set(item["properties"]) == {"id", "author", "score", "created_at", "note"}
    assert item["properties"]["id"]["format"] == "uuid"
    assert item["required"] == ["id", "score", "created_at"]

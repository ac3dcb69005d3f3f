"""servicekit.text and servicekit.pagination as properties (hypothesis): the shared text type
refuses exactly NUL and the characters XML 1.0 cannot carry, xml_safe always yields parseable
XML, and a cursor either decodes to the shape its endpoint expects or is 400 invalid_cursor,
never any other error."""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from servicekit.domain import DomainError
from servicekit.pagination import (
    CursorInt,
    CursorModel,
    CursorOffset,
    CursorText,
    TimeIdCursor,
    decode_cursor,
    encode_cursor,
    read_cursor,
)
from servicekit.text import Text, has_forbidden_characters, xml_safe

XML_ILLEGAL = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {"\ufffe", "\uffff"}


class Body(BaseModel):
    text: Text


def xml_allows(character: str) -> bool:
    code = ord(character)
    return code in (0x09, 0x0A, 0x0D) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


@given(st.text())
def test_text_refuses_exactly_what_xml_cannot_carry(value: str) -> None:
    allowed = all(xml_allows(c) for c in value)
    errors: list[str] = []
    try:
        Body(text=value)
    except ValidationError as exc:
        errors = [e["type"] for e in exc.errors()]
    assert errors == ([] if allowed else ["text_control_character"])
    assert has_forbidden_characters(value) is (not allowed)


@given(st.text(), st.sampled_from(sorted(XML_ILLEGAL)), st.text())
def test_any_text_with_nul_or_a_control_character_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(ValidationError):
        Body(text=before + bad + after)


@given(st.text())
def test_xml_safe_text_always_parses_and_keeps_what_is_legal(value: str) -> None:
    cleaned = xml_safe(value)
    parsed = ET.fromstring(f"<a>{escape(cleaned)}</a>".encode("utf-8", "surrogatepass"))
    assert (parsed.text or "") == cleaned.replace("\r\n", "\n").replace("\r", "\n")
    assert cleaned == "".join(c for c in value if xml_allows(c))


# -- cursors -------------------------------------------------------------------------------------
class Points(CursorModel):
    id: CursorInt


class Ranked(CursorModel):
    offset: CursorOffset


class Named(CursorModel):
    name: CursorText
    id: uuid.UUID


class Households(CursorModel):
    k: tuple[CursorText, CursorText, CursorText]


MODELS: list[type[CursorModel]] = [TimeIdCursor, Points, Ranked, Named, Households]

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text()
    | st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
    | st.uuids().map(str),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["at", "id", "offset", "name", "k", "x"]), inner, max_size=4)
    ),
    max_leaves=10,
)


def raw_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@given(
    st.one_of(
        JSON.map(raw_cursor), st.text(), st.binary().map(lambda b: base64.urlsafe_b64encode(b).decode())
    )
)
def test_a_cursor_decodes_to_its_shape_or_is_invalid_cursor(cursor: str) -> None:
    outcomes: list[object] = []
    for model in MODELS:
        outcomes.append(_outcome(lambda model=model: read_cursor(cursor, model)))  # type: ignore[misc]
    outcomes.append(_outcome(lambda: decode_cursor(cursor)))
    for model, outcome in zip([*MODELS, dict], outcomes, strict=True):
        assert (
            outcome == ("invalid_cursor", 400)
            or isinstance(outcome, model)
            or (outcome is None and not cursor)
        )


def _outcome(call: Any) -> object:
    """What a decoding call gave: the value, or the (code, status) of the problem it raised."""
    try:
        return call()
    except DomainError as problem:
        return (problem.code, problem.status)


# Endpoints write the database's timestamps, which come back in UTC; offsets in whole minutes.
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=9, minutes=30))])


@given(st.datetimes(timezones=OFFSETS), st.uuids())
def test_what_an_endpoint_writes_reads_back(at: datetime, row_id: uuid.UUID) -> None:
    try:
        expected = at.astimezone(UTC)
    except OverflowError:
        return  # not a timestamp a database row can have
    position = read_cursor(encode_cursor({"at": at.isoformat(), "id": str(row_id)}), TimeIdCursor)
    assert position == TimeIdCursor(at=expected, id=row_id)


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (TimeIdCursor, {"at": "2026-01-01T00:00:00+08:00", "id": 5}),
        (TimeIdCursor, {"at": "2026-01-01T00:00:00+08:00", "id": [1]}),
        (TimeIdCursor, {"at": "2026-01-01T00:00:00+08:00", "id": {"a": 1}}),
        (TimeIdCursor, {"at": "2026-01-01T00:00:00", "id": str(uuid.uuid4())}),
        (TimeIdCursor, {"at": "0001-01-01T00:00:00+14:00", "id": str(uuid.uuid4())}),
        (TimeIdCursor, {"at": 1_700_000_000, "id": str(uuid.uuid4())}),
        (Ranked, {"offset": 10**30}),
        (Ranked, {"offset": -1}),
        (Ranked, {"offset": "5"}),
        (Points, {"id": True}),
        (Points, {"id": 2**63}),
        (Named, {"name": "a\x00", "id": str(uuid.uuid4())}),
        (Households, {"k": ["a", "b"]}),
    ],
)
def test_the_tampered_cursors_of_the_issue_are_invalid(model: type[CursorModel], value: Any) -> None:
    with pytest.raises(DomainError) as caught:
        read_cursor(raw_cursor(value), model)
    assert caught.value.code == "invalid_cursor"

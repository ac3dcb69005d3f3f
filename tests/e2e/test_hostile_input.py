"""Hostile text and tampered cursors against the four real services behind the real gateway:
never a 5xx. Text with NUL or XML-illegal control characters is 422 `invalid_text` in every
service (and Open311); a cursor that does not decode to what its endpoint wrote is 400
`invalid_cursor`. Property-tested with hypothesis (the stack runs on its own loop in a thread,
so the generated requests are plain synchronous calls)."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from servicekit.testing import new_namespace, served_in_thread
from servicekit.text import FORBIDDEN_CHARACTERS
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of

pytestmark = pytest.mark.timeout(600)

SIGNER = TokenSigner.generate()
COMMUNITY = uuid.uuid4()
ALL_ROLES = ["resident", "courier", "property_manager", "committee", "mediator", "admin"]
TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=COMMUNITY,
    roles=ALL_ROLES,
    household_id=uuid.uuid4(),
    building="3",
    ttl_seconds=3600,
)
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Every paginated list, each with whatever else it needs to reach its cursor.
PAGED = [
    "/api/v1/errand/orders",
    "/api/v1/errand/orders?as=courier",
    "/api/v1/errand/merchants",
    "/api/v1/reports",
    "/api/v1/forum/threads",
    "/api/v1/forum/threads?q=楼道灯坏了",
    "/api/v1/forum/me/notices",
    "/api/v1/forum/hotspots",
    "/api/v1/forum/moderation/queue",
    "/api/v1/forum/moderation/log",
    "/api/v1/forum/disputes",
    "/api/v1/forum/deliberations",
    "/api/v1/me/notifications",
    "/api/v1/community/households",
]


@dataclass
class Running:
    gateway: str
    reports: str


@contextlib.asynccontextmanager
async def whole_stack() -> AsyncIterator[Running]:
    async with stack_of(
        ["errand", "reports", "forum", "gateway"],
        namespace=new_namespace(),
        signer=SIGNER,
        overrides={"gateway": {"rate_limit_enabled": False}},
    ) as stack:
        yield Running(gateway=stack.urls["gateway"], reports=stack.urls["reports"])


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with served_in_thread(whole_stack, name="hostile-input-stack") as value:
        yield value


@pytest.fixture(scope="module")
def client(running: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.gateway, headers=AUTH, timeout=30) as http:
        yield http


def cursor_of(value: Any) -> str:
    raw = json.dumps(value, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def assert_refused_cursor(response: httpx.Response, path: str, cursor: str) -> None:
    assert response.status_code < 500, (path, cursor, response.status_code, response.text[:300])
    if response.status_code == 422:  # longer than the documented 512 characters
        assert len(cursor) > 512, (path, cursor, response.text[:300])
        return
    assert response.status_code in (200, 400), (path, cursor, response.status_code, response.text[:300])
    if response.status_code == 400:
        assert response.json()["code"] == "invalid_cursor", (path, response.text[:300])


def get_page(client: httpx.Client, path: str, cursor: str) -> httpx.Response:
    return client.get(path, params={"cursor": cursor})


# -- cursors -------------------------------------------------------------------------------------
KEYS = st.sampled_from(["at", "id", "t", "i", "k", "name", "offset", "created_at", "x"])
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**31), max_value=10**31)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "2026-01-01T00:00:00+08:00",
            "2026-01-01T00:00:00",  # naive
            "0001-01-01T00:00:00+14:00",  # not representable in UTC
            "9999-12-31T23:59:59-14:00",
            str(uuid.uuid4()),
        ]
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=8,
)
TAMPERED = st.dictionaries(KEYS, JSON, max_size=4).map(cursor_of) | JSON.map(cursor_of) | st.text(max_size=80)

ISSUE_EXAMPLES = [
    cursor_of({"at": "2026-01-01T00:00:00+08:00", "id": 5}),
    cursor_of({"at": "2026-01-01T00:00:00+08:00", "id": [1, 2]}),
    cursor_of({"at": "2026-01-01T00:00:00+08:00", "id": {"a": 1}}),
    cursor_of({"id": 2**70}),
    cursor_of({"id": True}),
    cursor_of({"offset": 10**30}),
    cursor_of({"offset": -1}),
    cursor_of({"created_at": "0001-01-01T00:00:00+14:00", "id": str(uuid.uuid4())}),
    cursor_of({"t": 1, "i": []}),
    cursor_of({"k": [1, 2, 3]}),
    cursor_of({"k": ["a\x00", "b", "c"]}),
    cursor_of({"name": "a\x00", "id": str(uuid.uuid4())}),
    "!!!not-base64!!!",
    "bm90IGpzb24",
    "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tb",
]


def test_the_cursors_from_the_issue_are_400_everywhere(client: httpx.Client) -> None:
    for path in PAGED:
        for cursor in ISSUE_EXAMPLES:
            response = get_page(client, path, cursor)
            assert_refused_cursor(response, path, cursor)
    # And a malformed cursor is really refused, not ignored.
    for path in PAGED:
        response = get_page(client, path, cursor_of({"offset": 10**30, "at": 1, "id": [], "k": 2}))
        assert response.status_code == 400, (path, response.text[:300])


@given(cursor=TAMPERED)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_cursor_makes_a_server_error(client: httpx.Client, cursor: str) -> None:
    for path in PAGED:
        assert_refused_cursor(get_page(client, path, cursor), path, cursor)


# -- text ----------------------------------------------------------------------------------------
FORBIDDEN = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff"])
HOSTILE_TEXT = st.tuples(st.text(max_size=20), FORBIDDEN, st.text(max_size=20)).map(
    lambda parts: f"词{parts[0]}{parts[1]}{parts[2]}"
)


def bodies(text: str) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per service whose text fields must refuse ``text``."""
    return [
        (
            "POST",
            "/api/v1/reports",
            {"category": "stairwell_lighting", "location": {"building": "3"}, "description": text},
        ),
        ("POST", "/api/v1/forum/deliberations", {"title": "议题", "body": text}),
        ("POST", "/api/v1/forum/threads", {"board": "mutual_help", "title": text, "body": "正文"}),
        (
            "POST",
            "/api/v1/errand/merchants",
            {"name": text, "category": "supermarket", "address": "3号楼", "lat": 39.9, "lng": 116.4},
        ),
        ("POST", "/api/v1/community/buildings", {"name": text}),
        ("POST", "/api/v1/me/courier-application", {"real_name": text, "id_number_last4": "1234"}),
    ]


def assert_invalid_text(response: httpx.Response, what: str) -> None:
    assert response.status_code == 422, (what, response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == "invalid_text", (what, body)
    assert any(error["code"] == "text_control_character" for error in body["errors"]), body


@example(text="楼道灯\x00坏了")
@example(text="楼道灯\x0b坏了")
@example(text="\x1b[31m红色")
@given(text=HOSTILE_TEXT)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_control_characters_are_refused_in_every_service(client: httpx.Client, text: str) -> None:
    for method, path, body in bodies(text):
        assert_invalid_text(client.request(method, path, json=body), f"{method} {path}")


@given(text=st.text(max_size=40).filter(lambda t: FORBIDDEN_CHARACTERS.search(t) is None))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_other_text_is_not_refused_for_its_characters(client: httpx.Client, text: str) -> None:
    body = {"category": "stairwell_lighting", "location": {"building": "3"}, "description": f"灯{text}"}
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 422:
        assert response.json()["code"] != "invalid_text", response.text[:300]


@pytest.fixture(scope="module")
def api_key(client: httpx.Client) -> str:
    created = client.post("/api/v1/reports/open311-keys", json={"label": "hotline"})
    assert created.status_code == 201, created.text
    key: str = created.json()["api_key"]
    return key


def test_open311_refuses_control_characters_and_its_xml_stays_parseable(
    client: httpx.Client, api_key: str
) -> None:
    for field in ("description", "address_string", "service_code", "attribute[building]"):
        form = {
            "api_key": api_key,
            "service_code": "lifts",
            "address_string": "3号楼",
            field: "电梯\x00\x0b坏了",
        }
        for fmt in ("json", "xml"):
            response = client.post(f"/open311/v2/requests.{fmt}?jurisdiction_id={COMMUNITY}", data=form)
            assert response.status_code == 422, (field, fmt, response.status_code, response.text[:300])
            if fmt == "xml":
                ET.fromstring(response.content)  # the error document itself parses
    refused_query = client.get(f"/open311/v2/requests.json?jurisdiction_id={COMMUNITY}&service_code=a%00b")
    assert refused_query.status_code == 422, refused_query.text
    created = client.post(
        f"/open311/v2/requests.xml?jurisdiction_id={COMMUNITY}",
        data={
            "api_key": api_key,
            "service_code": "lifts",
            "address_string": "3号楼",
            "description": "电梯\t坏了\r\n",
        },
    )
    assert created.status_code == 201, created.text
    listed = client.get(f"/open311/v2/requests.xml?jurisdiction_id={COMMUNITY}")
    assert listed.status_code == 200
    assert ET.fromstring(listed.content).find("request/description").text == "电梯\t坏了"  # type: ignore[union-attr]

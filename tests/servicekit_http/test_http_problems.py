"""problem+json errors (RFC 9457) localised from Accept-Language (docs/architecture.md §5)."""

from __future__ import annotations

import re
import uuid

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.errors import PROBLEM_CONTENT_TYPE
from servicekit.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    known_codes,
    negotiate_locale,
    register_messages,
)

TAKEN = "httptest_order_already_taken"  # registered by conftest.py
TAKEN_TITLE = {"zh-CN": "订单已被接走", "en": "Order already taken", "ko": "이미 접수된 주문"}
TAKEN_DETAIL = {
    "zh-CN": "这个跑腿订单已经被其他跑腿员接走了。",
    "en": "Another courier has already accepted this errand.",
    "ko": "다른 배달원이 이미 이 심부름을 수락했습니다.",
}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "request_id"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:weilinli:problem:{code}"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"], body
    assert response.headers["x-request-id"] == body["request_id"]
    return body


# -- a domain error, in every language --------------------------------------------------------
@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        (None, "zh-CN"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("ko-KR", "ko"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en;q=0.2, ko;q=0.8", "ko"),
        ("ko;q=0.3, zh-CN;q=0.4, en;q=0.35", "zh-CN"),
        ("fr-FR,fr;q=0.9,de;q=0.8", "zh-CN"),
        ("fr-FR, en;q=0.5", "en"),
        ("*", "zh-CN"),
    ],
)
async def test_domain_problem_is_localised(kit, accept_language: str | None, locale: str) -> None:
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    response = await kit.client.post("/things/7/take", headers=headers)
    body = assert_problem(response, 409, TAKEN)
    assert body["title"] == TAKEN_TITLE[locale]
    assert body["detail"] == TAKEN_DETAIL[locale]
    assert response.headers["content-language"] == locale


async def test_built_in_problems_speak_every_language_differently(kit) -> None:
    titles = set()
    for language in ("zh-CN", "en", "ko"):
        response = await kit.client.get("/no/such/path", headers={"Accept-Language": language})
        titles.add(assert_problem(response, 404, "not_found")["title"])
    assert titles == {"未找到", "Not found", "찾을 수 없음"}


# -- validation, routing ------------------------------------------------------------------------
async def test_invalid_body_is_422_validation_failed_with_errors(kit) -> None:
    response = await kit.client.post(
        "/things", json={"name": "", "price_fen": -5}, headers={"Accept-Language": "en"}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["title"] == "Invalid request"
    errors = body["errors"]
    assert isinstance(errors, list)
    by_field = {error["field"]: error for error in errors}
    assert set(by_field) == {"name", "price_fen"}
    for error in errors:
        assert set(error) == {"field", "in", "code", "message"}
        assert error["in"] == "body"
        assert isinstance(error["message"], str)
        assert error["message"]
    assert by_field["name"]["code"] == "string_too_short"
    assert by_field["price_fen"]["code"] == "greater_than_equal"


async def test_missing_field_and_bad_path_parameter_are_named(kit) -> None:
    missing = assert_problem(await kit.client.post("/things", json={"name": "米"}), 422, "validation_failed")
    assert missing["errors"] == [
        {"field": "price_fen", "in": "body", "code": "missing", "message": missing["errors"][0]["message"]}
    ]
    bad_path = assert_problem(await kit.client.get("/things/abc"), 422, "validation_failed")
    assert [(e["field"], e["in"], e["code"]) for e in bad_path["errors"]] == [
        ("thing_id", "path", "int_parsing")
    ]


async def test_malformed_json_is_422_and_not_echoed(kit) -> None:
    response = await kit.client.post(
        "/things", content=b'{"name": "secret-payload-xyz", ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "validation_failed")
    assert "secret-payload-xyz" not in response.text


async def test_successful_requests_are_not_problems(kit) -> None:
    response = await kit.client.post("/things", json={"name": "米", "price_fen": 800})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "米", "price_fen": 800}


async def test_unknown_path_is_404_not_found(kit) -> None:
    assert_problem(await kit.client.get("/api/v1/nothing/here"), 404, "not_found")


async def test_wrong_method_is_405_method_not_allowed_with_allow(kit) -> None:
    response = await kit.client.delete("/things/1")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


# -- unexpected errors never leak ---------------------------------------------------------------
@pytest.mark.parametrize("path", ["/boom", "/bad-sql"])
@pytest.mark.parametrize("given_id", [None, "client-req-42"])
async def test_unexpected_error_is_a_bare_500(kit, path: str, given_id: str | None) -> None:
    headers = {"Accept-Language": "en"}
    if given_id:
        headers["X-Request-ID"] = given_id
    response = await kit.client.get(path, headers=headers)
    body = assert_problem(response, 500, "internal_error")
    assert body["title"] == "Internal error"
    if given_id:
        assert body["request_id"] == given_id
    else:
        assert GENERATED_ID.match(str(body["request_id"]))
    for leak in (
        "Traceback",
        "SELECT",
        "secret",
        "users",
        "RuntimeError",
        "ProgrammingError",
        "asyncpg",
        ".py",
    ):
        assert leak not in response.text, leak
        for value in response.headers.values():
            assert leak not in value, (leak, value)


async def test_internal_error_defaults_to_chinese(kit) -> None:
    body = assert_problem(await kit.client.get("/boom"), 500, "internal_error")
    assert body["title"] == "服务器内部错误"


# -- the catalogue ------------------------------------------------------------------------------
def test_register_messages_refuses_a_code_lacking_a_locale() -> None:
    with pytest.raises(ValueError, match="ko"):
        register_messages(
            {"httptest_half_translated": {"zh-CN": ("标题", "详情"), "en": ("Title", "Detail")}}
        )
    assert "httptest_half_translated" not in known_codes()


def test_register_messages_refuses_other_text_for_a_known_code() -> None:
    text = {locale: (f"t-{locale}", f"d-{locale}") for locale in SUPPORTED_LOCALES}
    register_messages({"httptest_stable_code": text})
    register_messages({"httptest_stable_code": dict(text)})  # the same text again is fine
    changed = {**text, "en": ("Other", "Other")}
    with pytest.raises(ValueError, match="httptest_stable_code"):
        register_messages({"httptest_stable_code": changed})


def test_every_built_in_code_is_known() -> None:
    assert {
        "internal_error",
        "validation_failed",
        "not_found",
        "method_not_allowed",
        "unauthorized",
        "token_expired",
        "token_invalid",
        "forbidden",
    } <= known_codes()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("   ", "zh-CN"),
        ("en", "en"),
        ("EN-us", "en"),
        ("en-GB;q=0.5", "en"),
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en;q=0.2, ko;q=0.8", "ko"),
        ("ko;q=0.8, en", "en"),  # no q means 1
        ("ko;q=0.5, en;q=0.5", "ko"),  # a tie goes to the first listed
        ("en;q=0.5, ko;q=0.5", "en"),
        (" en ; q=0.7 , ko ; q=0.6 ", "en"),
        ("en;q=0, ko;q=0.1", "ko"),  # q=0 means "not acceptable"
        ("en;q=0", DEFAULT_LOCALE),
        ("ko;q=0.001, de", "ko"),
        ("fr", DEFAULT_LOCALE),
        ("fr, de;q=0.9, ko;q=0.1", "ko"),
        ("*", DEFAULT_LOCALE),
        ("english", DEFAULT_LOCALE),  # not a language tag for en
        ("kok", DEFAULT_LOCALE),  # Konkani, not Korean
        ("en;q=abc, ko;q=0.5", "ko"),  # a malformed weight is not a preference
        ("en;q=, ko", "ko"),
        (",,;;, ;q=1", DEFAULT_LOCALE),
        ("en-US,en;q=0.9" * 200, "en"),
    ],
)
def test_negotiate_locale(header: str | None, expected: str) -> None:
    assert negotiate_locale(header) == expected


def test_negotiate_locale_weight_name_is_case_insensitive() -> None:
    assert negotiate_locale("ko;Q=0.1, en;q=0.5") == "en"


async def test_a_connection_postgres_dropped_answers_503_then_the_pool_recovers(kit) -> None:
    """Pools do not pre-ping (it doubled the event path's p99): a connection the server dropped
    fails its next use. That request is answered 503 with Retry-After, never 500, and the
    next one gets a fresh connection."""
    first = await kit.client.get("/db-now")  # the probe pool now holds one connection
    assert first.status_code == 200
    # Only that backend: the session's other tests share this database and the runtime's pool.
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", int(first.json()["pid"]))
    finally:
        await admin.close()

    dropped = await kit.client.get("/db-now", headers={"Accept-Language": "en"})
    assert dropped.status_code == 503, dropped.text
    assert dropped.headers["content-type"].startswith("application/problem+json")
    assert dropped.headers["retry-after"] == "1"
    assert dropped.json()["code"] == "service_unavailable"

    assert (await kit.client.get("/db-now")).status_code == 200


async def test_an_exhausted_pool_answers_503_service_busy_not_500(kit) -> None:
    """Every pooled connection busy: the request waits pool_timeout, then gets 503 with
    Retry-After and problem+json (SQLAlchemy's QueuePool timeout was a 500 after 30 s)."""
    url = kit.settings.database_url.get_secret_value()
    tiny = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    kit.app.state.engines["tiny"] = tiny
    async with tiny.connect() as held:  # the pool's only connection, busy
        await held.execute(text("SELECT 1"))
        busy = await kit.client.get("/db-engine/tiny", headers={"Accept-Language": "ko"})
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["code"] == "service_busy"
    assert busy.json()["title"] == "서비스 혼잡"

    assert (await kit.client.get("/db-engine/tiny")).status_code == 200  # released, served again
    # The service's own pool gives up as soon, not after SQLAlchemy's default of 30 s.
    assert kit.app.state.runtime.engine.pool.timeout() == kit.settings.db_pool_timeout_seconds <= 5


async def test_postgres_refusing_a_connection_for_lack_of_room_answers_503(kit) -> None:
    """PostgreSQL's own "too many connections" (here a role's limit, same SQLSTATE 53300 as the
    server's max_connections) is the same situation: 503 service_busy, never 500."""
    role = f"wltest_nolimit_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        url = make_url(kit.settings.database_url.get_secret_value()).set(username=role)
        kit.app.state.engines["no_room"] = create_async_engine(url, pool_size=1)
        refused = await kit.client.get("/db-engine/no_room", headers={"Accept-Language": "en"})
        await kit.app.state.engines.pop("no_room").dispose()
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "service_busy"

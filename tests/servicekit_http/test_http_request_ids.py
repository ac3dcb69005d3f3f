"""Request ids: accepted when sane, generated otherwise, echoed, and in every log line
(docs/architecture.md §5)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from servicekit.logging import configure_logging
from servicekit.middleware import accept_request_id

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def json_lines(out: str) -> list[dict[str, Any]]:
    lines = []
    for line in out.splitlines():
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


@pytest.mark.parametrize(
    "given",
    ["abc-123", "a", "A.b_c:d-9", "0f" * 64, "7c9e6679-7425-40de-944b-e07fc1f90ae7"],
)
async def test_a_sane_incoming_id_is_echoed(kit, given: str) -> None:
    ok = await kit.client.get("/things/1", headers={"X-Request-ID": given})
    assert ok.status_code == 200
    assert ok.headers["x-request-id"] == given
    problem = await kit.client.post("/things/1/take", headers={"X-Request-ID": given})
    assert problem.status_code == 409
    assert problem.headers["x-request-id"] == given
    assert problem.json()["request_id"] == given


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "x" * 129,
        "has space",
        "semi;colon",
        'quote"d',
        "slash/ed",
        "tab\tbed",
        "ümlaut",
        "<script>",
    ],
)
async def test_a_missing_or_malformed_id_is_replaced(kit, given: str | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given.encode("utf-8")}
    response = await kit.client.post("/things/1/take", headers=headers)
    assert response.status_code == 409
    generated = response.headers["x-request-id"]
    assert GENERATED_ID.match(generated), generated
    assert response.json()["request_id"] == generated
    again = await kit.client.post("/things/1/take", headers=headers)
    assert again.headers["x-request-id"] != generated  # one per request


async def test_only_one_request_id_header_goes_out(kit) -> None:
    response = await kit.client.get("/things/1", headers={"X-Request-ID": "only-one"})
    assert response.headers.get_list("x-request-id") == ["only-one"]


def test_accept_request_id_limits() -> None:
    assert accept_request_id("x" * 128) == "x" * 128
    assert accept_request_id("x" * 129) != "x" * 129
    assert GENERATED_ID.match(accept_request_id(None))
    assert accept_request_id(None) != accept_request_id(None)


@pytest.mark.parametrize("given", ["abc\r\nSet-Cookie: x=1", "abc\r", "\nabc"])
def test_accept_request_id_refuses_line_breaks(given: str) -> None:
    assert GENERATED_ID.match(accept_request_id(given))


def test_accept_request_id_refuses_a_trailing_newline() -> None:
    assert accept_request_id("abc\n") != "abc\n"


async def test_a_request_id_with_a_trailing_newline_is_not_echoed(kit) -> None:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/things/1",
        "raw_path": b"/things/1",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"t"), (b"x-request-id", b"abc\n")],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    await kit.app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 200
    echoed = [value for name, value in start["headers"] if name == b"x-request-id"]
    assert len(echoed) == 1
    assert b"\n" not in echoed[0]
    assert GENERATED_ID.match(echoed[0].decode())


# -- logs ---------------------------------------------------------------------------------------
async def test_log_lines_carry_the_request_id(kit, capsys, restore_logging) -> None:
    configure_logging("errand", "INFO")
    capsys.readouterr()
    given = await kit.client.get("/logged", headers={"X-Request-ID": "trace-me-1"})
    generated = await kit.client.get("/logged")
    lines = [
        line for line in json_lines(capsys.readouterr().out) if line.get("event") == "handling_logged_thing"
    ]
    assert len(lines) == 2, lines
    assert given.status_code == generated.status_code == 200
    first, second = lines
    assert first["request_id"] == first["correlation_id"] == "trace-me-1"
    assert second["request_id"] == second["correlation_id"] == generated.headers["x-request-id"]
    for line in lines:
        assert line["service"] == "errand"
        assert line["level"] == "info"
        assert line["marker"] == "servicekit-http-test"
        assert "timestamp" in line


@pytest.mark.parametrize(
    ("path", "evidence"),
    [
        ("/boom", ["RuntimeError: SELECT secret FROM users"]),
        ("/bad-sql", ["UndefinedTable", "users_that_do_not_exist"]),  # a real PostgreSQL error
    ],
)
async def test_an_unexpected_error_is_logged_with_its_traceback(
    kit, capsys, restore_logging, path: str, evidence: list[str]
) -> None:
    configure_logging("errand", "INFO")
    capsys.readouterr()
    response = await kit.client.get(path, headers={"X-Request-ID": "trace-me-500"})
    assert response.status_code == 500
    lines = [line for line in json_lines(capsys.readouterr().out) if line.get("event") == "unhandled_error"]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["level"] == "error"
    assert line["path"] == path
    assert line["method"] == "GET"
    assert line["service"] == "errand"
    # The log has what the client must never see.
    assert "Traceback" in line["exception"]
    for text in evidence:
        assert text in line["exception"]
        assert text not in response.text


async def test_the_500_log_line_carries_the_request_id(kit, capsys, restore_logging) -> None:
    configure_logging("errand", "INFO")
    capsys.readouterr()
    response = await kit.client.get("/boom", headers={"X-Request-ID": "trace-me-500"})
    assert response.json()["request_id"] == "trace-me-500"
    lines = [line for line in json_lines(capsys.readouterr().out) if line.get("event") == "unhandled_error"]
    assert len(lines) == 1, lines
    assert lines[0].get("request_id") == "trace-me-500"
    assert lines[0].get("correlation_id") == "trace-me-500"

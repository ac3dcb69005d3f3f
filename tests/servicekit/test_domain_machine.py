"""servicekit.domain: the one state-machine step and the one domain error every service uses."""

from __future__ import annotations

import enum

import httpx
import pytest
from fastapi import FastAPI

from servicekit.domain import DomainError, Machine
from servicekit.errors import PROBLEM_CONTENT_TYPE, install_error_handlers


class Light(enum.StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Press(enum.StrEnum):
    SWITCH_ON = "switch_on"
    SWITCH_OFF = "switch_off"
    BREAK = "break"


TABLE = {
    (Light.OFF, Press.SWITCH_ON): Light.ON,
    (Light.ON, Press.SWITCH_OFF): Light.OFF,
    (Light.ON, Press.BREAK): Light.BROKEN,
    (Light.OFF, Press.BREAK): Light.BROKEN,
}


def test_a_step_says_where_and_whether_anything_changed() -> None:
    machine = Machine(TABLE, illegal="light_refused")
    step = machine.step(Light.OFF, Press.SWITCH_ON)
    assert (step.before, step.after, step.changed) == (Light.OFF, Light.ON, True)
    again = machine.step(Light.ON, Press.SWITCH_ON)  # the retried request
    assert (again.after, again.changed) == (Light.ON, False)


def test_an_illegal_pair_is_one_409_with_the_machines_code_and_params() -> None:
    machine = Machine(TABLE, illegal="light_refused", state_param="status")
    with pytest.raises(DomainError) as caught:
        machine.step(Light.BROKEN, Press.SWITCH_ON)
    assert (caught.value.code, caught.value.status) == ("light_refused", 409)
    assert caught.value.params == {"status": "broken", "action": "switch_on"}


def test_only_repeatable_actions_repeat_and_refusals_name_their_own_code() -> None:
    machine = Machine(
        TABLE,
        illegal="light_refused",
        repeatable=frozenset({Press.SWITCH_OFF}),
        refusals=Machine.refusing("already_broken", [Light.BROKEN], Press.BREAK),
    )
    assert not machine.step(Light.OFF, Press.SWITCH_OFF).changed
    with pytest.raises(DomainError) as on_again:
        machine.step(Light.ON, Press.SWITCH_ON)  # switch_on is not repeatable here
    assert on_again.value.code == "light_refused"
    with pytest.raises(DomainError) as broken:
        machine.step(Light.BROKEN, Press.BREAK)
    assert broken.value.code == "already_broken"


def test_status_is_positional_so_a_status_param_stays_a_param() -> None:
    error = DomainError("order_already_taken", status="accepted")
    assert (error.status, error.params) == (409, {"status": "accepted"})


async def test_one_handler_answers_problem_json_with_retry_after() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/slow-down")
    async def slow_down() -> None:
        raise DomainError("posting_too_fast", 429, retry_after=7)

    @app.get("/strangers")
    async def strangers() -> None:
        raise DomainError("user_not_in_community", 422, count=1).showing(user_ids=["u-1"])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.get("/slow-down", headers={"Accept-Language": "en"})
        shown = await client.get("/strangers")
    assert (shown.status_code, shown.json()["code"], shown.json()["user_ids"]) == (
        422,
        "user_not_in_community",
        ["u-1"],
    )
    assert answer.status_code == 429
    assert answer.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert answer.headers["retry-after"] == "7"
    assert answer.json()["code"] == "posting_too_fast"

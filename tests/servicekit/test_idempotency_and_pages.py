"""Idempotency keys on the real PostgreSQL (including two requests racing with one key),
cursor encoding, and token signing against the verifier."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

import errand.main
from errand.config import Settings as ErrandSettings
from servicekit import idempotency
from servicekit.auth import TokenVerifier
from servicekit.db import UnitOfWorkFactory, create_engine, session_factory
from servicekit.domain import DomainError
from servicekit.errors import ProblemError
from servicekit.migrations import migrate
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.testing import isolated_database, isolated_settings
from servicekit.tokens import TokenSigner

USER = uuid.uuid4()


@pytest.fixture
async def uows(namespace: str) -> AsyncIterator[UnitOfWorkFactory]:
    settings = isolated_settings(ErrandSettings, namespace=namespace)
    async with isolated_database(settings):
        await migrate(settings, errand.main.MIGRATIONS)
        engine = create_engine(settings.database_url.get_secret_value())
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE things (id serial PRIMARY KEY, name text)"))
        try:
            yield UnitOfWorkFactory(session_factory(engine), producer="errand")
        finally:
            await engine.dispose()


async def create_thing(uows: UnitOfWorkFactory, key: str | None, body: dict[str, str]) -> tuple[int, object]:
    """A creating use case the way services write one."""
    async with uows() as uow:
        claim, stored = await idempotency.claim(
            uow,
            scope="things.create",
            user_id=USER,
            key=key,
            request_fingerprint=idempotency.fingerprint(body),
        )
        if stored is not None:
            return stored.status, stored.body
        await asyncio.sleep(0.05)  # widen the race window: the other request arrives meanwhile
        row = await uow.session.execute(
            text("INSERT INTO things (name) VALUES (:n) RETURNING id"), {"n": body["name"]}
        )
        response = {"id": row.scalar_one(), "name": body["name"]}
        if claim is not None:
            await claim.record(uow, 201, response)
        await uow.commit()
        return 201, response


async def count_things(uows: UnitOfWorkFactory) -> int:
    async with uows() as uow:
        return int((await uow.session.execute(text("SELECT count(*) FROM things"))).scalar_one())


async def test_same_key_and_body_replays_the_first_response(uows: UnitOfWorkFactory) -> None:
    first = await create_thing(uows, "key-1", {"name": "light bulb"})
    again = await create_thing(uows, "key-1", {"name": "light bulb"})
    assert again == first
    assert await count_things(uows) == 1


async def test_concurrent_requests_with_one_key_create_one_object(uows: UnitOfWorkFactory) -> None:
    results = await asyncio.gather(*(create_thing(uows, "key-race", {"name": "radiator"}) for _ in range(10)))
    assert len({str(result) for result in results}) == 1
    assert await count_things(uows) == 1


async def test_same_key_with_another_body_is_422(uows: UnitOfWorkFactory) -> None:
    await create_thing(uows, "key-2", {"name": "a"})
    with pytest.raises(DomainError) as caught:
        await create_thing(uows, "key-2", {"name": "b"})
    assert (caught.value.code, caught.value.status) == ("idempotency_key_reused", 422)
    assert await count_things(uows) == 1


async def test_without_a_key_every_request_creates(uows: UnitOfWorkFactory) -> None:
    await create_thing(uows, None, {"name": "a"})
    await create_thing(uows, None, {"name": "a"})
    assert await count_things(uows) == 2


async def test_a_failed_first_request_leaves_the_key_free(uows: UnitOfWorkFactory) -> None:
    with pytest.raises(ValueError, match="boom"):
        async with uows() as uow:
            await idempotency.claim(
                uow, scope="things.create", user_id=USER, key="key-3", request_fingerprint="x"
            )
            raise ValueError("boom")
    status, _ = await create_thing(uows, "key-3", {"name": "a"})
    assert status == 201


@pytest.mark.parametrize("key", ["", "x" * 201, "bad\nkey"])
async def test_malformed_keys_are_refused(uows: UnitOfWorkFactory, key: str) -> None:
    with pytest.raises(DomainError) as caught:
        await create_thing(uows, key, {"name": "a"})
    assert caught.value.code == "idempotency_key_invalid"


def test_cursor_round_trip_and_garbage() -> None:
    position = {"created_at": "2026-11-22T04:00:00+00:00", "id": "abc"}
    assert decode_cursor(encode_cursor(position)) == position
    assert decode_cursor(None) is None
    for garbage in ["!!!", "bm90IGpzb24", encode_cursor({"a": 1})[:-3] + "€"]:
        with pytest.raises(DomainError):
            decode_cursor(garbage)


def test_signed_tokens_verify_with_the_public_key_only() -> None:
    signer = TokenSigner.generate()
    verifier = TokenVerifier(signer.public_pem, issuer="weilinli-gateway", audience="weilinli")
    community, household = uuid.uuid4(), uuid.uuid4()
    user = verifier.verify(
        signer.sign(
            user_id=USER, community_id=community, roles=["resident", "courier"], household_id=household
        )
    )
    assert (user.id, user.community_id, user.household_id) == (USER, community, household)
    assert user.roles == {"resident", "courier"}
    other = TokenVerifier(TokenSigner.generate().public_pem, issuer="weilinli-gateway", audience="weilinli")
    with pytest.raises(ProblemError):
        other.verify(signer.sign(user_id=USER, community_id=community, roles=["resident"]))
    assert TokenSigner.from_pem(signer.private_pem).public_pem == signer.public_pem

"""Open311 GeoReport v2 on a real server, driven by the published `georeport` client library
(JSON and XML), plus the parts that client does not cover (POST, tokens, errors) with plain HTTP
the way any Open311 client sends them."""

from __future__ import annotations

import asyncio
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from georeport import GeoReport

import reports.main
from reports.api import open311_format
from reports.config import Settings
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner


@dataclass
class Open311Env:
    base: str
    root: str
    community_id: uuid.UUID
    api_key: str
    admin_headers: dict[str, str]
    resident_headers: dict[str, str]
    manager_headers: dict[str, str]


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Open311Env]:
    signer = TokenSigner.generate()
    community_id = uuid.uuid4()

    def headers(*roles: str, building: str | None = None) -> dict[str, str]:
        token = signer.sign(user_id=uuid.uuid4(), community_id=community_id, roles=roles, building=building)
        return {"Authorization": f"Bearer {token}"}

    # servicekit's stack runner with only this service (tests.e2e.stack imports every service).
    spec = ServiceSpec("reports", Settings, reports.main.create_app, reports.main.MIGRATIONS)
    async with running_stack([spec], namespace=new_namespace(), public_key_pem=signer.public_pem) as stack:
        base = stack.urls["reports"]
        admin = headers("admin")
        async with httpx.AsyncClient(base_url=base) as client:
            created = await client.post(
                "/api/v1/reports/open311-keys", json={"label": "city 12345 hotline"}, headers=admin
            )
            assert created.status_code == 201, created.text
            yield Open311Env(
                base=base,
                root=f"{base}/open311/v2",
                community_id=community_id,
                api_key=created.json()["api_key"],
                admin_headers=admin,
                resident_headers=headers("resident", building="4"),
                manager_headers=headers("property_manager"),
            )


async def post_request(env: Open311Env, fmt: str = "json", **fields: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{env.root}/requests.{fmt}", data=fields)


async def test_discovery_and_services_with_the_georeport_client(env: Open311Env) -> None:
    async with httpx.AsyncClient() as client:
        discovery = (await client.get(f"{env.root}/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(discovery["endpoints"][0]["formats"]) == {"text/xml", "application/json"}

    for fmt in ("json", "xml"):
        client311 = GeoReport(env.root, jurisdiction=str(env.community_id), output_format=fmt)
        services = await asyncio.to_thread(client311.get_service_list)
        by_code = {s["service_code"]: s for s in services}
        assert "lifts" in by_code
        assert by_code["heating"]["group"] == "heating"
        assert str(by_code["lifts"]["type"]) == "realtime"
        definition = await asyncio.to_thread(client311.get_service_definition, "lifts")
        assert definition["service_code"] == "lifts"
        assert definition["attributes"]  # json: a list; xml: the <attributes> element


async def test_post_then_read_back_with_the_client_in_both_formats(env: Open311Env) -> None:
    posted = await post_request(
        env,
        api_key=env.api_key,
        jurisdiction_id=str(env.community_id),
        service_code="stairwell_lighting",
        lat="39.9042",
        long="116.4074",
        address_string="4号楼 2单元 楼道",
        description="楼道灯不亮",
        email="someone@example.com",
        **{"attribute[building]": "4"},
    )
    assert posted.status_code == 201, posted.text
    [created] = posted.json()
    # A realtime service answers the id, never a token (GeoReport v2).
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    request_id = created["service_request_id"]

    client_json = GeoReport(env.root, jurisdiction=str(env.community_id))
    one = await asyncio.to_thread(client_json.get_service_request, request_id)
    assert (one["service_request_id"], one["status"], one["service_code"]) == (
        request_id,
        "open",
        "stairwell_lighting",
    )
    assert one["status_notes"] == "submitted"
    assert one["lat"] == pytest.approx(39.9042)
    listed = await asyncio.to_thread(
        client_json.get_service_requests, status="open", service_code="stairwell_lighting"
    )
    assert request_id in {r["service_request_id"] for r in listed}
    closed = await asyncio.to_thread(client_json.get_service_requests, status="closed")
    assert request_id not in {r["service_request_id"] for r in closed}

    client_xml = GeoReport(env.root, jurisdiction=str(env.community_id), output_format="xml")
    as_xml = await asyncio.to_thread(client_xml.get_service_request, request_id)
    assert (as_xml["service_request_id"], as_xml["status"]) == (request_id, "open")


async def test_closed_states_show_as_closed_with_notes(env: Open311Env) -> None:
    async with httpx.AsyncClient(base_url=env.base) as client:
        created = await client.post(
            "/api/v1/reports",
            json={"category": "sanitation", "location": {"building": "4"}, "description": "bins overflowing"},
            headers=env.resident_headers,
        )
        rid = created.json()["id"]
        cancelled = await client.post(f"/api/v1/reports/{rid}/cancel", headers=env.resident_headers)
        assert cancelled.json()["status"] == "cancelled"
    client311 = GeoReport(env.root, jurisdiction=str(env.community_id), output_format="xml")
    seen = await asyncio.to_thread(client311.get_service_request, rid)
    assert (seen["status"], seen["status_notes"]) == ("closed", "cancelled")


async def test_private_reports_are_not_published(env: Open311Env) -> None:
    async with httpx.AsyncClient(base_url=env.base) as client:
        created = await client.post(
            "/api/v1/reports",
            json={
                "category": "water_drains",
                "location": {"building": "4", "room": "301"},
                "description": "kitchen drain blocked",
                "public_area": False,
            },
            headers=env.resident_headers,
        )
        rid = created.json()["id"]
        single = await client.get(
            f"/open311/v2/requests/{rid}.json", params={"jurisdiction_id": str(env.community_id)}
        )
        listed = await client.get(
            "/open311/v2/requests.json", params={"jurisdiction_id": str(env.community_id)}
        )
    assert single.status_code == 404
    assert rid not in {r["service_request_id"] for r in listed.json()}


async def test_errors_are_code_description_lists(env: Open311Env) -> None:
    jurisdiction = str(env.community_id)
    bad_key = await post_request(env, api_key="nope", service_code="lifts", address_string="x")
    assert (bad_key.status_code, bad_key.json()[0]["code"]) == (403, 403)
    assert bad_key.json()[0]["description"]
    no_key = await post_request(env, service_code="lifts", address_string="x")
    assert no_key.status_code == 403
    no_code = await post_request(env, api_key=env.api_key, address_string="x")
    assert (no_code.status_code, no_code.json()[0]["code"]) == (400, 400)
    no_location = await post_request(env, api_key=env.api_key, service_code="lifts")
    assert no_location.status_code == 400
    unknown = await post_request(env, api_key=env.api_key, service_code="nope", address_string="x")
    assert unknown.status_code == 404
    async with httpx.AsyncClient(base_url=env.root) as client:
        missing = await client.get(f"/requests/{uuid.uuid4()}.json", params={"jurisdiction_id": jurisdiction})
        assert (missing.status_code, missing.json()[0]["code"]) == (404, 404)
        no_jurisdiction = await client.get("/services.json")
        assert no_jurisdiction.status_code == 400
        bad_date = await client.get(
            "/requests.json", params={"jurisdiction_id": jurisdiction, "start_date": "yesterday"}
        )
        assert bad_date.status_code == 400
        unknown_path = await client.get("/nothing.xml")
        assert unknown_path.status_code == 404
        root = ET.fromstring(unknown_path.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == "404"  # type: ignore[union-attr]


async def test_revoked_keys_stop_working_and_only_admins_manage_keys(env: Open311Env) -> None:
    async with httpx.AsyncClient(base_url=env.base) as client:
        made = await client.post(
            "/api/v1/reports/open311-keys", json={"label": "temp"}, headers=env.admin_headers
        )
        key = made.json()
        assert (
            await client.post(
                "/api/v1/reports/open311-keys", json={"label": "x"}, headers=env.resident_headers
            )
        ).status_code == 403
        listed = await client.get("/api/v1/reports/open311-keys", headers=env.admin_headers)
        assert all(item["api_key"] is None for item in listed.json())
        revoked = await client.delete(f"/api/v1/reports/open311-keys/{key['id']}", headers=env.admin_headers)
        assert revoked.status_code == 204
    refused = await post_request(env, api_key=key["api_key"], service_code="lifts", address_string="x")
    assert refused.status_code == 403


def test_xml_never_carries_characters_xml_cannot_hold() -> None:
    """Text stored before input was checked (or by another path) must not break the document for
    every client: the XML rendering drops what XML 1.0 cannot carry, the JSON keeps it escaped."""
    stored = [{"description": "电梯\x0b坏了\x1b[0m\x00", "status_notes": "ok\ufffe", "lat": 1.5}]
    xml = open311_format.render("xml", stored, root="service_requests", item="request")
    parsed = ET.fromstring(xml.body)
    assert parsed.find("request/description").text == "电梯坏了[0m"  # type: ignore[union-attr]
    assert parsed.find("request/status_notes").text == "ok"  # type: ignore[union-attr]
    assert (
        json.loads(open311_format.render("json", stored, root="r", item="i").body)[0]["description"]
        == stored[0]["description"]
    )

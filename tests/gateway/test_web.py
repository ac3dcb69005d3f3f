"""The gateway serves the built faces at /console/ and /app/ (gateway.api.web): files of the build,
deep links answered with index.html, hashed assets cached for a year and index.html revalidated, a
404 problem for a missing asset or an app never built, and the proxy and API untouched."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

import gateway.main
from gateway.config import Settings
from tests.gateway.conftest import ADMIN_PASSWORD, ADMIN_PHONE, Gateway

VENDOR = "export const big = '" + "微邻里" * 2000 + "';"
INDEX = (
    '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js">'
    "</script></head></html>"
)


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    dist = tmp_path / "console" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "index-abc123.js").write_text("console.log('console')", encoding="utf-8")
    (dist / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    (dist / "assets" / "vendor-def456.js").write_text(VENDOR, encoding="utf-8")
    (dist / "assets" / "vendor-def456.js.gz").write_bytes(gzip.compress(VENDOR.encode()))
    (tmp_path / "secret.txt").write_text("outside the build", encoding="utf-8")
    return tmp_path  # web/app was never built


@pytest.fixture
async def client(web_dir: Path, restore_logging: None) -> httpx.AsyncClient:
    settings = Settings(
        web_dir=str(web_dir),
        rate_limit_enabled=False,
        errand_url="http://127.0.0.1:1",
        reports_url="http://127.0.0.1:1",
        forum_url="http://127.0.0.1:1",
    )
    # No lifespan: serving the faces needs neither the database nor Redis.
    app = gateway.main.create_app(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_index_and_hashed_assets_with_their_cache_rules(client: httpx.AsyncClient) -> None:
    index = await client.get("/console/")
    assert index.status_code == 200
    assert index.text == INDEX
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in index.headers["content-security-policy"]

    asset = await client.get("/console/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('console')"
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"

    other = await client.get("/console/favicon.svg")
    assert other.status_code == 200
    assert other.headers["cache-control"] == "no-cache"

    head = await client.head("/console/assets/index-abc123.js")
    assert head.status_code == 200
    assert head.content == b""


async def test_deep_links_get_index_html(client: httpx.AsyncClient) -> None:
    for path in ("/console/reports/42", "/console/sign-in?next=/x", "/console/a/b/c/"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == "no-cache"
    bare = await client.get("/console?x=1")
    assert bare.status_code == 308
    assert bare.headers["location"] == "/console/?x=1"


async def test_missing_assets_and_escapes_are_404_problems(client: httpx.AsyncClient) -> None:
    for path in (
        "/console/assets/gone-123.js",
        "/console/missing.png",
        "/console/../secret.txt",
        "/console/%2e%2e/secret.txt",
    ):
        response = await client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 404, path
        assert "outside the build" not in response.text
        if response.headers["content-type"].startswith("application/problem+json"):
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("language", "title"), [("zh-CN", "页面尚未构建"), ("en", "Not built yet"), ("ko", "아직 빌드되지 않음")]
)
async def test_an_app_never_built_is_a_clear_localised_problem(
    client: httpx.AsyncClient, language: str, title: str
) -> None:
    for path in ("/app/", "/app/orders/1"):
        response = await client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert (body["code"], body["title"]) == ("web_not_built", title)
        assert "app" in body["detail"]
        assert "dev.py run" in body["detail"]


async def test_the_proxy_still_routes_beside_the_faces(gw: Gateway) -> None:
    # Proxied prefixes still go to their upstream (a closed port here: the proxy's own problem), and
    # the gateway's own routes still answer, on the gateway as the test suite runs it.
    proxied = await gw.client.get("/api/v1/errand/orders", headers={"Accept-Language": "en"})
    assert proxied.status_code in (502, 503)
    assert proxied.json()["code"] in ("bad_gateway", "upstream_unavailable")
    login = await gw.client.post(
        "/api/v1/auth/login", json={"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200


async def test_neighbours_of_the_faces_are_not_the_faces(client: httpx.AsyncClient) -> None:
    # Neighbours of the faces' prefixes are not the faces.
    for path in ("/apple", "/consoles/", "/application/x"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    # Not in the API description.
    spec = client._transport.app.openapi()  # type: ignore[attr-defined]
    assert not [path for path in spec["paths"] if path.startswith(("/console", "/app"))]


async def test_a_precompressed_asset_goes_to_browsers_that_take_gzip(client: httpx.AsyncClient) -> None:
    packed = await client.get("/console/assets/vendor-def456.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert "javascript" in packed.headers["content-type"]
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(packed.headers["content-length"]) < len(VENDOR.encode()) / 5  # the .gz was sent
    assert packed.text == VENDOR  # httpx decodes it: the same file

    plain = await client.get("/console/assets/vendor-def456.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == VENDOR
    refused = await client.get("/console/assets/vendor-def456.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers

    no_twin = await client.get("/console/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in no_twin.headers

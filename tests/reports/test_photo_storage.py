"""A service started with ``photo_storage=s3`` (servicekit.s3_photos against a local server that
speaks S3): it creates its bucket, keeps photos under its own prefix, streams them back through
its own authorisation, and says when the storage is down without turning unready or answering
anything but 503 ``photo_storage_unavailable`` for photos alone."""

from __future__ import annotations

import io
import socket

import pytest
from minio import Minio
from PIL import Image

from reports.config import Settings
from servicekit import photos
from servicekit.photos import open_photo_store
from servicekit.s3_photos import S3PhotoStore
from servicekit.testing import TEST_S3_ACCESS_KEY, TEST_S3_SECRET_KEY, s3_photo_settings
from tests.photo_backends import new_bucket
from tests.reports.helpers import Community, call, image_bytes, running_service


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_service_on_object_storage_keeps_and_serves_its_photos(s3_endpoint: str) -> None:
    bucket = new_bucket()
    # One decoder process, as a pod would set it (the default is one per CPU this process may use).
    async with running_service(**s3_photo_settings(s3_endpoint, bucket), photo_decode_workers=1) as service:
        assert isinstance(service.app.state.photo_store, S3PhotoStore)
        assert photos.decoder_count() == 1
        ready = await service.client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["photo_storage"] == {"ok": True, "required": False}

        community = Community(service)
        reporter, stranger = community.resident("1"), community.resident("2")
        rid = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
        response = await call(
            service,
            reporter,
            "POST",
            f"/api/v1/reports/{rid}/photos",
            files={"file": ("p.png", image_bytes("PNG", size=(300, 200)), "image/png")},
        )
        assert response.status_code == 201, response.text
        [photo] = response.json()["photos"]

        # In the bucket the service created, under its own prefix, private to it.
        client = Minio(
            s3_endpoint.removeprefix("http://"),
            access_key=TEST_S3_ACCESS_KEY,
            secret_key=TEST_S3_SECRET_KEY,
            secure=False,
            region="us-east-1",
        )
        keys = [item.object_name for item in client.list_objects(bucket, recursive=True)]
        assert len(keys) == 1
        assert keys[0].startswith(f"reports/{community.id}/{rid}/")

        served = await call(service, reporter, "GET", photo["url"])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).size == (300, 200)
        assert (await call(service, stranger, "GET", photo["url"])).status_code == 404


async def test_storage_down_is_a_503_for_photos_alone_and_leaves_no_row() -> None:
    settings = s3_photo_settings(f"http://127.0.0.1:{closed_port()}", new_bucket())
    async with running_service(**settings) as service:
        ready = await service.client.get("/health/ready")
        assert ready.status_code == 200  # advisory: reports are still served
        check = ready.json()["checks"]["photo_storage"]
        assert (check["ok"], check["required"]) == (False, False)

        community = Community(service)
        reporter = community.resident()
        rid = (await community.submit(reporter))["id"]
        titles = set()
        for locale in ("zh-CN", "en", "ko"):
            response = await call(
                service,
                reporter,
                "POST",
                f"/api/v1/reports/{rid}/photos",
                files={"file": ("p.jpg", image_bytes(), "image/jpeg")},
                headers={"Accept-Language": locale},
            )
            assert (response.status_code, response.json()["code"]) == (503, "photo_storage_unavailable")
            titles.add(response.json()["title"])
        assert len(titles) == 3
        rows = await service.sql("SELECT count(*) FROM report_photos WHERE report_id = :id", id=rid)
        assert rows[0][0] == 0


def test_s3_storage_needs_its_endpoint_and_keys() -> None:
    with pytest.raises(ValueError, match="REPORTS_PHOTO_S3_ENDPOINT"):
        Settings(photo_storage="s3", photo_s3_access_key="a", photo_s3_secret_key="b")
    local = open_photo_store(Settings())
    assert local.health_check() is None  # the default: local disk, nothing outside the process

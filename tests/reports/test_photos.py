"""Photo intake (servicekit.photos) through the reports API: bad uploads are refused with
415/413/422 and leave neither a file nor a row; stored photos are re-encoded without EXIF/GPS;
photos are served back only to those who may see the report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from servicekit import photos
from servicekit.errors import ProblemError
from tests.reports.helpers import Community, Person, Service, call, gps_exif, image_bytes


def stored_files(service: Service) -> list[Path]:
    return [p for p in Path(service.settings.photo_root).rglob("*") if p.is_file()]


async def photo_rows(service: Service, rid: str) -> int:
    rows = await service.sql("SELECT count(*) FROM report_photos WHERE report_id = :id", id=rid)
    return int(rows[0][0])


async def upload(
    service: Service, person: Person, rid: str, data: bytes, name: str = "p.jpg", kind: str = "before"
) -> dict[str, object]:
    response = await call(
        service,
        person,
        "POST",
        f"/api/v1/reports/{rid}/photos",
        files={"file": (name, data, "image/jpeg")},
        data={"kind": kind},
    )
    return {"status": response.status_code, "body": response.json()}


async def test_text_named_jpg_is_415_and_leaves_nothing(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = stored_files(service)
    result = await upload(service, reporter, rid, b"just some text, not a photo\n" * 10, name="photo.jpg")
    assert result["status"] == 415
    assert stored_files(service) == before
    assert await photo_rows(service, rid) == 0


async def test_eleven_megabytes_is_413_and_leaves_nothing(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = stored_files(service)
    big = image_bytes() + b"\0" * (11 * 1024 * 1024)  # a real JPEG header, padded past the limit
    result = await upload(service, reporter, rid, big)
    assert result["status"] == 413
    assert stored_files(service) == before
    assert await photo_rows(service, rid) == 0


async def test_seventh_photo_is_422_and_leaves_nothing(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    for _ in range(6):
        assert (await upload(service, reporter, rid, image_bytes("PNG"), name="x.png"))["status"] == 201
    files_before = stored_files(service)
    result = await upload(service, reporter, rid, image_bytes())
    assert result["status"] == 422
    assert result["body"]["code"] == "photo_limit_reached"  # type: ignore[index]
    assert stored_files(service) == files_before
    assert await photo_rows(service, rid) == 6


async def test_exif_gps_is_gone_from_the_stored_photo(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    original = image_bytes("JPEG", exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload carries GPS
    result = await upload(service, reporter, rid, original)
    assert result["status"] == 201
    photo = result["body"]["photos"][0]  # type: ignore[index]
    served = await call(service, reporter, "GET", photo["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    for data in (served.content, *(p.read_bytes() for p in stored_files(service) if rid in str(p))):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert not image.getexif()  # no EXIF at all, so no GPS, camera or time
        assert b"Exif" not in data
        assert b"WeiLinli test phone" not in data


async def test_photos_are_served_only_to_those_who_see_the_report(
    service: Service, community: Community
) -> None:
    reporter = community.resident("1")
    stranger = community.resident("2")
    rid = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
    photo = (await upload(service, reporter, rid, image_bytes("WEBP"), name="x.webp"))["body"]["photos"][0]  # type: ignore[index]
    assert photo["content_type"] == "image/webp"
    assert (await call(service, stranger, "GET", photo["url"])).status_code == 404
    assert (await call(service, reporter, "GET", photo["url"])).status_code == 200


async def test_residents_cannot_upload_after_photos(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    assert (await upload(service, reporter, rid, image_bytes(), kind="after"))["status"] == 403


def test_sniffing_ignores_the_name_and_refuses_truncated_images() -> None:
    assert photos.sniff(image_bytes("PNG")) == "PNG"
    assert photos.sniff(b"GIF89a....") is None
    with pytest.raises(ProblemError) as caught:
        photos.clean(image_bytes("JPEG")[:40])
    assert caught.value.status == 415


def test_photo_store_stays_inside_its_root(tmp_path: Path) -> None:
    store = photos.PhotoStore(tmp_path)
    relative = store.save(photos.clean(image_bytes()), "c", "r")
    assert store.read(relative)[:3] == b"\xff\xd8\xff"
    with pytest.raises(ValueError, match="escapes"):
        store.path_of("../../etc/passwd")
    with pytest.raises(ValueError, match="unsafe"):
        store.save(photos.clean(image_bytes()), "..")
    store.delete(relative)
    assert not (tmp_path / relative).exists()

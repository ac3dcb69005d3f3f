"""Photo intake (servicekit.photos) through the reports API: bad uploads are refused with
415/413/422 and leave neither a stored photo nor a row; stored photos are re-encoded without
EXIF/GPS; photos are served back only to those who may see the report. The tests taking
``photo_store`` run on local disk and on S3-compatible object storage (tests/photo_backends.py)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from servicekit import photos
from servicekit.errors import ProblemError
from tests.photo_backends import photos_in, stored_paths
from tests.reports.helpers import Community, Person, Service, call, gps_exif, image_bytes


@pytest.fixture
async def photo_store(
    service: Service, photo_backend: str, request: pytest.FixtureRequest
) -> AsyncIterator[photos.PhotoStorage]:
    async with photos_in(service.app, photo_backend, request) as store:
        yield store


async def stored_files(service: Service) -> set[str]:
    return await stored_paths(photos.store_of(service.app))


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


async def test_text_named_jpg_is_415_and_leaves_nothing(
    service: Service, community: Community, photo_store: photos.PhotoStorage
) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = await stored_files(service)
    result = await upload(service, reporter, rid, b"just some text, not a photo\n" * 10, name="photo.jpg")
    assert result["status"] == 415
    assert await stored_files(service) == before
    assert await photo_rows(service, rid) == 0


async def test_eleven_megabytes_is_413_and_leaves_nothing(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = await stored_files(service)
    big = image_bytes() + b"\0" * (11 * 1024 * 1024)  # a real JPEG header, padded past the limit
    result = await upload(service, reporter, rid, big)
    assert result["status"] == 413
    assert await stored_files(service) == before
    assert await photo_rows(service, rid) == 0


async def test_seventh_photo_is_422_and_leaves_nothing(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    for _ in range(6):
        assert (await upload(service, reporter, rid, image_bytes("PNG"), name="x.png"))["status"] == 201
    files_before = await stored_files(service)
    result = await upload(service, reporter, rid, image_bytes())
    assert result["status"] == 422
    assert result["body"]["code"] == "photo_limit_reached"  # type: ignore[index]
    assert await stored_files(service) == files_before
    assert await photo_rows(service, rid) == 6


async def test_exif_gps_is_gone_from_the_stored_photo(
    service: Service, community: Community, photo_store: photos.PhotoStorage
) -> None:
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
    kept = [
        await (await photo_store.open(path)).read() for path in await stored_files(service) if rid in path
    ]
    assert len(kept) == 1
    for data in (served.content, *kept):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert not image.getexif()  # no EXIF at all, so no GPS, camera or time
        assert b"Exif" not in data
        assert b"WeiLinli test phone" not in data


async def test_photos_are_served_only_to_those_who_see_the_report(
    service: Service, community: Community, photo_store: photos.PhotoStorage
) -> None:
    reporter = community.resident("1")
    stranger = community.resident("2")
    rid = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
    photo = (await upload(service, reporter, rid, image_bytes("WEBP"), name="x.webp"))["body"]["photos"][0]  # type: ignore[index]
    assert photo["content_type"] == "image/webp"
    assert (await call(service, stranger, "GET", photo["url"])).status_code == 404
    served = await call(service, reporter, "GET", photo["url"])
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.content)).format == "WEBP"
    assert served.headers["content-length"] == str(len(served.content)) == str(photo["size_bytes"])
    assert served.headers["cache-control"] == "private, max-age=3600"


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


async def test_photo_store_stays_inside_its_root(tmp_path: Path) -> None:
    store = photos.PhotoStore(tmp_path)
    relative = await store.save(photos.clean(image_bytes()), "c", "r")
    assert (await store.read(relative))[:3] == b"\xff\xd8\xff"
    with pytest.raises(ValueError, match="escapes"):
        store.path_of("../../etc/passwd")
    with pytest.raises(ValueError, match="unsafe"):
        await store.save(photos.clean(image_bytes()), "..")
    await store.delete(relative)
    assert not (tmp_path / relative).exists()
    with pytest.raises(FileNotFoundError):
        await store.open(relative)


def pixel_bomb(side: int = 8944) -> bytes:
    """The probe's hostile upload: a ~10 KB one-colour PNG that claims side x side pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def test_a_pixel_bomb_is_refused_from_its_header_in_every_language(
    service: Service, community: Community
) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    bomb = pixel_bomb()
    assert len(bomb) < 20_000  # 80 megapixels in a few kilobytes
    before = await stored_files(service)
    titles = set()
    for locale in ("zh-CN", "en", "ko"):
        response = await call(
            service,
            reporter,
            "POST",
            f"/api/v1/reports/{rid}/photos",
            files={"file": ("bomb.png", bomb, "image/png")},
            headers={"Accept-Language": locale},
        )
        assert (response.status_code, response.json()["code"]) == (422, "photo_too_many_pixels")
        assert "40" in response.json()["detail"]
        titles.add(response.json()["title"])
    assert len(titles) == 3
    assert await stored_files(service) == before
    assert await photo_rows(service, rid) == 0


async def test_stored_photos_are_downscaled_to_2048_px(service: Service, community: Community) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    # A 12 MP JPEG is decoded at half scale (DCT scaling, issue 16.4): 2000x1500, no resampling.
    result = await upload(service, reporter, rid, image_bytes("JPEG", size=(4000, 3000)))
    assert result["status"] == 201, result
    photo = result["body"]["photos"][0]  # type: ignore[index]
    assert (photo["width"], photo["height"]) == (2000, 1500)
    served = await call(service, reporter, "GET", photo["url"])
    assert Image.open(io.BytesIO(served.content)).size == (2000, 1500)
    # A JPEG whose half scale would be under 90 % of 2048 px is decoded in full and resampled.
    result = await upload(service, reporter, rid, image_bytes("JPEG", size=(3000, 2000)))
    assert result["status"] == 201, result
    # A tall PNG keeps its aspect ratio; a small one is left as it is.
    tall = await upload(service, reporter, rid, image_bytes("PNG", size=(1000, 5000)), name="t.png")
    small = await upload(service, reporter, rid, image_bytes("PNG", size=(300, 200)), name="s.png")
    sizes = [(p["width"], p["height"]) for p in small["body"]["photos"]]  # type: ignore[index]
    assert sizes == [(2000, 1500), (2048, 1365), (410, 2048), (300, 200)]
    assert tall["status"] == 201


async def test_a_stranger_upload_is_404_before_the_body_is_read(
    service: Service, community: Community
) -> None:
    reporter = community.resident("1")
    rid = (await community.submit(reporter, category="water_drains", public_area=False))["id"]
    other_community = Community(service).resident("1")
    for stranger in (community.resident("2"), other_community):
        for files in (
            {"file": ("bomb.png", pixel_bomb(), "image/png")},
            {"file": ("x.jpg", b"not a photo", "image/jpeg")},
            {"kind": (None, "before")},  # no file at all: a 422 had the body been read
        ):
            response = await call(service, stranger, "POST", f"/api/v1/reports/{rid}/photos", files=files)
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), files
    assert await photo_rows(service, rid) == 0


async def test_the_count_limit_is_checked_before_the_upload_is_read(
    service: Service, community: Community
) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    for _ in range(6):
        assert (await upload(service, reporter, rid, image_bytes("PNG"), name="x.png"))["status"] == 201
    for data in (pixel_bomb(), b"not a photo at all"):
        result = await upload(service, reporter, rid, data)
        assert (result["status"], result["body"]["code"]) == (422, "photo_limit_reached")  # type: ignore[index]


async def test_a_missing_file_or_a_wrong_kind_is_a_validation_error(
    service: Service, community: Community
) -> None:
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    path = f"/api/v1/reports/{rid}/photos"
    no_file = await call(service, reporter, "POST", path, files={"kind": (None, "before")})
    assert (no_file.status_code, no_file.json()["code"]) == (422, "validation_failed")
    as_json = await call(service, reporter, "POST", path, json={"kind": "before"})
    assert (as_json.status_code, as_json.json()["code"]) == (422, "validation_failed")
    bad_kind = await upload(service, reporter, rid, image_bytes(), kind="during")
    assert (bad_kind["status"], bad_kind["body"]["code"]) == (422, "validation_failed")  # type: ignore[index]
    assert await photo_rows(service, rid) == 0


async def test_the_sweep_removes_photos_that_no_row_names_once_past_the_grace(
    service: Service, community: Community, photo_store: photos.PhotoStorage
) -> None:
    """A process killed between storing a photo and committing its row leaves a photo no row
    names: the sweep deletes such photos once they are older than the grace, and never one a row
    names or one young enough to belong to a request still in flight. Object storage keeps
    modification times in whole seconds, hence the pause between the old and the new ones."""
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = await stored_files(service)
    uploaded = await upload(service, reporter, rid, image_bytes())
    assert uploaded["status"] == 201, uploaded
    [kept] = await stored_files(service) - before
    clean = photos.clean(image_bytes())
    orphan_old = await photo_store.save(clean, "killed-mid-request")
    await asyncio.sleep(1.1)
    orphan_new = await photo_store.save(clean, "still-in-flight")
    modified = {item.path: item.modified for item in await photo_store.listing()}
    assert max(modified[kept], modified[orphan_old]) < modified[orphan_new]
    sweep: photos.OrphanPhotoSweep = service.app.state.photo_sweep
    assert sweep.store is photo_store
    # The cutoff falls between the old ones (the kept photo too: only the one no row names may
    # go) and the one still in flight.
    now = modified[orphan_new] + sweep.grace_seconds - 0.5

    removed = await sweep.run_once(now)

    assert removed == [orphan_old]
    left = await stored_files(service)
    assert {kept, orphan_new} <= left
    assert orphan_old not in left
    body = uploaded["body"]
    assert isinstance(body, dict)
    [photo] = body["photos"]
    assert (await call(service, reporter, "GET", photo["url"])).status_code == 200
    # Again within the interval: nothing is listed, nothing removed.
    assert await sweep.run_if_due(now + 1) == []


async def test_a_photo_whose_row_is_rolled_back_is_not_kept(
    service: Service, community: Community, photo_store: photos.PhotoStorage
) -> None:
    """The photo is stored before its row; when the transaction then fails (here PostgreSQL
    itself refuses the row, through a trigger on this report alone), the photo goes too."""
    reporter = community.resident()
    rid = (await community.submit(reporter))["id"]
    before = await stored_files(service)
    function = f"refuse_photo_{rid.replace('-', '_')}"
    await service.sql(
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.report_id = '{rid}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
        "RETURN NEW; END $$"
    )
    await service.sql(
        f"CREATE TRIGGER {function} BEFORE INSERT ON report_photos FOR EACH ROW EXECUTE FUNCTION {function}()"
    )
    try:
        with contextlib.suppress(Exception):  # the app answers 500 (or re-raises into the client)
            response = await call(
                service,
                reporter,
                "POST",
                f"/api/v1/reports/{rid}/photos",
                files={"file": ("p.jpg", image_bytes(), "image/jpeg")},
            )
            assert response.status_code == 500
    finally:
        await service.sql(f"DROP TRIGGER {function} ON report_photos")
        await service.sql(f"DROP FUNCTION {function}()")
    assert await stored_files(service) == before
    assert await photo_rows(service, rid) == 0
    # Nothing else was left half-done: the next upload goes through.
    assert (await upload(service, reporter, rid, image_bytes()))["status"] == 201

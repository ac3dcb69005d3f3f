"""Directory import and export against a real gateway and database: CSV with and without BOM,
XLSX with Chinese headers, dry runs, re-imports, every kind of bad file, 50,000 rows, and the
export read back by the csv module and by the import itself."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zipfile
from typing import Any

import openpyxl
import pytest

from tests.gateway.conftest import Gateway

IMPORT = "/api/v1/community/directory/import"
EXPORT = "/api/v1/community/directory/export.csv"
HEADER_EN = "building,unit,floor,room,has_lift,elderly_alone,disability,low_income"
HEADER_ZH = "楼号,单元,楼层,房号,电梯,独居老人,残疾,低保"


async def _post(
    gw: Gateway,
    headers: dict[str, str],
    content: bytes,
    *,
    name: str = "d.csv",
    dry_run: bool = False,
    language: str | None = None,
) -> Any:
    return await gw.client.post(
        IMPORT,
        params={"dry_run": "true"} if dry_run else None,
        files={"file": (name, content, "application/octet-stream")},
        headers={**headers, **({"Accept-Language": language} if language else {})},
    )


async def _export(gw: Gateway, headers: dict[str, str]) -> list[list[str]]:
    response = await gw.client.get(EXPORT, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows_of(export: list[list[str]], building: str) -> list[list[str]]:
    return [row for row in export[1:] if row[0] == building]


@pytest.fixture(scope="module")
async def committee(gw: Gateway) -> dict[str, str]:
    return (await gw.user_with_role("committee"))[1]


async def test_csv_without_bom_creates_then_updates_what_changed(
    gw: Gateway, committee: dict[str, str]
) -> None:
    sheet = f"{HEADER_EN}\n甲1栋,1,1,101,false,true,false,false\n甲1栋,1,2,201,false,false,false,true\n"
    first = await _post(gw, committee, sheet.encode())
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}

    changed = (
        f"{HEADER_EN}\n甲1栋,1,1,101,false,true,false,false\n"
        "甲1栋,1,2,201,false,true,true,true\n甲1栋,2,3,301,0,0,0,0\n"
    )
    second = await _post(gw, committee, changed.encode())
    assert second.json() == {"created": 1, "updated": 1, "unchanged": 1, "errors": []}
    exported = _rows_of(await _export(gw, committee), "甲1栋")
    assert exported == [
        ["甲1栋", "1", "1", "101", "否", "是", "否", "否"],
        ["甲1栋", "1", "2", "201", "否", "是", "是", "是"],
        ["甲1栋", "2", "3", "301", "否", "否", "否", "否"],
    ]


async def test_bom_csv_with_chinese_headers_and_yes_no(gw: Gateway, committee: dict[str, str]) -> None:
    sheet = f"{HEADER_ZH}\r\n乙2栋,3,6,602,是,是,否,否\r\n乙2栋,3,-1,B01,是,否,否,否\r\n"
    response = await _post(gw, committee, "\ufeff".encode() + sheet.encode())
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert _rows_of(await _export(gw, committee), "乙2栋") == [
        ["乙2栋", "3", "6", "602", "是", "是", "否", "否"],
        ["乙2栋", "3", "-1", "B01", "是", "否", "否", "否"],
    ]


async def test_xlsx_with_chinese_headers(gw: Gateway, committee: dict[str, str]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["楼号", "单元", "楼层", "房号", "电梯", "独居老人", "残疾", "低保"])
    sheet.append(["丙3栋", 1, 5, 501, "是", True, "否", 0])  # numbers and booleans as Excel keeps them
    sheet.append([None] * 8)  # a blank row keeps its number
    sheet.append(["丙3栋", 1, 5.0, "502", 1, "否", "是", "1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _post(gw, committee, buffer.getvalue(), name="住户.xlsx")
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert _rows_of(await _export(gw, committee), "丙3栋") == [
        ["丙3栋", "1", "5", "501", "是", "是", "否", "否"],
        ["丙3栋", "1", "5", "502", "是", "否", "是", "是"],
    ]


async def test_dry_run_reports_and_applies_nothing(gw: Gateway, committee: dict[str, str]) -> None:
    before = await _export(gw, committee)
    sheet = f"{HEADER_EN}\n丁4栋,1,1,101,true,false,false,false\n"
    response = await _post(gw, committee, sheet.encode(), dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    assert await _export(gw, committee) == before


async def test_rows_wrong_are_listed_and_nothing_is_applied(gw: Gateway, committee: dict[str, str]) -> None:
    before = await _export(gw, committee)
    sheet = (
        f"{HEADER_EN}\n"
        "戊5栋,1,1,101,true,false,false,false\n"  # row 1: fine, but not applied
        "戊5栋,1,abc,102,true,false,false,false\n"  # row 2: floor
        "戊5栋,1,1,103,true,maybe,false,false\n"  # row 3: flag
        "戊5栋,1,1,101,true,false,false,false\n"  # row 4: the room of row 1 again
        ",1,1,104,true,false,false,false\n"  # row 5: no building
    )
    response = await _post(gw, committee, sheet.encode(), language="en")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "directory_rows_invalid"
    assert body["created"] == body["updated"] == body["unchanged"] == 0
    assert body["error_count"] == 4
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "floor", "directory_floor_invalid"),
        (3, "elderly_alone", "directory_flag_invalid"),
        (4, "room", "directory_room_duplicate"),
        (5, "building", "directory_value_required"),
    ]
    assert "row 1" in body["errors"][2]["message"]
    assert "abc" in body["errors"][0]["message"]
    assert await _export(gw, committee) == before

    korean = await _post(gw, committee, sheet.encode(), language="ko")
    assert "1행" in korean.json()["errors"][2]["message"]
    chinese = await _post(gw, committee, sheet.encode())
    assert "第 1 行" in chinese.json()["errors"][2]["message"]


async def test_missing_column_names_it(gw: Gateway, committee: dict[str, str]) -> None:
    sheet = "楼号,单元,楼层,房号,电梯,独居老人,残疾\n己6栋,1,1,101,是,否,否\n"
    response = await _post(gw, committee, sheet.encode())
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["column"], body["header"]) == (
        "directory_column_missing",
        "low_income",
        "低保",
    )
    assert "低保" in body["detail"]


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # an image called .csv
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # an old binary .xls
        "楼号,单元\n".encode("gbk"),  # not UTF-8
    ],
)
async def test_not_csv_or_xlsx_is_415(gw: Gateway, committee: dict[str, str], content: bytes) -> None:
    response = await _post(gw, committee, content, name="d.xlsx")
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "directory_file_unsupported"


async def test_a_zip_that_is_no_workbook_is_415(gw: Gateway, committee: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = await _post(gw, committee, buffer.getvalue(), name="d.xlsx")
    assert response.status_code == 415
    assert response.json()["code"] == "directory_file_unsupported"


async def test_ten_megabytes_accepted_one_byte_more_refused(gw: Gateway, committee: dict[str, str]) -> None:
    limit = 10 * 1024 * 1024
    head = f"{HEADER_EN}\n庚7栋,1,1,101,".encode()
    tail = b",false,false,false\n"
    padding = limit - len(head) - len(tail) - len(b"true")
    exact = head + b" " * padding + b"true" + tail  # the lift cell is padded with spaces
    assert len(exact) == limit
    accepted = await _post(gw, committee, exact)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["created"] == 1

    refused = await _post(gw, committee, b" " + exact)
    assert refused.status_code == 413
    assert refused.json()["code"] == "payload_too_large"
    # A body far over the route's limit is refused by the edge before it is read.
    huge = await _post(gw, committee, b" " * (12 * 1024 * 1024))
    assert huge.status_code == 413


async def test_fifty_thousand_rows_in_one_request(gw: Gateway, committee: dict[str, str]) -> None:
    lines = [HEADER_ZH]
    for n in range(50_000):
        building, rest = divmod(n, 2_500)
        unit, room = divmod(rest, 500)
        lines.append(
            f"大{building}号楼,{unit + 1},{room // 4 + 1},{room:04d},是,{'是' if n % 7 == 0 else '否'},否,否"
        )
    content = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    first = await _post(gw, committee, content)
    created_in = time.perf_counter() - started
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 50_000, "updated": 0, "unchanged": 0, "errors": []}
    started = time.perf_counter()
    again = await _post(gw, committee, content)
    unchanged_in = time.perf_counter() - started
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 50_000, "errors": []}
    print(f"\n50,000 rows: created in {created_in:.2f} s, re-imported unchanged in {unchanged_in:.2f} s")


async def test_export_round_trip_is_all_unchanged(gw: Gateway, committee: dict[str, str]) -> None:
    await _post(
        gw, committee, f"{HEADER_EN}\n=SUM(1),1,,-1,,true,true,true\n".encode()
    )  # a formula-like name
    response = await gw.client.get(EXPORT, headers=committee)
    exported = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert exported[0] == HEADER_ZH.split(",")
    assert ["'=SUM(1)", "1", "", "'-1", "", "是", "是", "是"] in exported  # Excel shows it as text
    again = await _post(gw, committee, response.content)
    assert again.status_code == 200, again.text
    assert again.json() == {"created": 0, "updated": 0, "unchanged": len(exported) - 1, "errors": []}


async def test_only_committee_and_admin(gw: Gateway) -> None:
    sheet = f"{HEADER_EN}\n辛8栋,1,1,101,true,false,false,false\n".encode()
    for role in ("resident", "property_manager", "property_staff", "mediator", "courier"):
        if role == "resident":
            _, headers = await gw.resident()
        else:
            _, headers = await gw.user_with_role(role)
        assert (await _post(gw, headers, sheet)).status_code == 403
        assert (await gw.client.get(EXPORT, headers=headers)).status_code == 403
    assert (await gw.client.get(EXPORT)).status_code == 401
    admin = await gw.admin_headers()
    assert (await _post(gw, admin, sheet)).status_code == 200
    assert (await gw.client.get(EXPORT, headers=admin)).status_code == 200


async def test_two_imports_at_once_do_not_collide(gw: Gateway, committee: dict[str, str]) -> None:
    sheet = "".join(f"壬9栋,1,{n // 10 + 1},{n:03d},是,否,否,否\n" for n in range(200))
    content = f"{HEADER_EN}\n{sheet}".encode()
    first, second = await asyncio.gather(_post(gw, committee, content), _post(gw, committee, content))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    outcomes = sorted([first.json(), second.json()], key=lambda body: body["created"])
    assert outcomes == [
        {"created": 0, "updated": 0, "unchanged": 200, "errors": []},
        {"created": 200, "updated": 0, "unchanged": 0, "errors": []},
    ]


async def test_empty_and_damaged_files(gw: Gateway, committee: dict[str, str]) -> None:
    empty = await _post(gw, committee, b"\xef\xbb\xbf\r\n")
    assert (empty.status_code, empty.json()["code"]) == (422, "directory_file_empty")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    damaged = await _post(gw, committee, buffer.getvalue(), name="d.xlsx")
    assert (damaged.status_code, damaged.json()["code"]) == (422, "directory_file_unreadable")
    header_only = await _post(gw, committee, f"{HEADER_EN}\n".encode())
    assert header_only.json() == {"created": 0, "updated": 0, "unchanged": 0, "errors": []}


async def test_a_sheet_wrong_everywhere_lists_the_first_thousand_errors(
    gw: Gateway, committee: dict[str, str]
) -> None:
    sheet = f"{HEADER_EN}\n" + "癸10栋,1,abc,101,maybe,false,false,false\n" * 3_000
    response = await _post(gw, committee, sheet.encode())
    assert response.status_code == 422
    body = response.json()
    assert body["error_count"] == 6_000  # floor and lift on each row (duplicates are not checked then)
    assert len(body["errors"]) == 1_000
    assert (body["errors"][0]["row"], body["errors"][-1]["row"]) == (1, 500)
    assert "6000" in body["detail"]

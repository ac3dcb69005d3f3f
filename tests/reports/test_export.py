"""`GET /api/v1/reports/export.csv`: the office's CSV of reports with SLA figures, read back with
the csv module; date and date-time ranges; who may export what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from tests.reports.helpers import Community, Person, Service, call, utc

EXPORT = "/api/v1/reports/export.csv"


async def post(service: Service, person: Person, path: str, json: Any = None) -> Any:
    response = await call(service, person, "POST", path, json=json)
    assert response.status_code == 200, response.text
    return response


async def export(service: Service, person: Person, **params: str) -> list[dict[str, str]]:
    response = await call(service, person, "GET", EXPORT, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_export_has_sla_figures_and_parses_back(service: Service, community: Community) -> None:
    reporter = community.resident()
    committee = community.person("committee")
    start = utc(2026, 10, 10, 8)
    service.set_clock(start)
    late = (await community.submit(reporter, category="heating", description="暖气不热, =1+1"))["id"]
    heating_manager = await community.staff("property_manager", "heating")
    heating_worker = await community.staff(department="heating")
    service.set_clock(start + timedelta(hours=1))
    await post(service, heating_manager, f"/api/v1/reports/{late}/accept")
    await post(
        service, heating_manager, f"/api/v1/reports/{late}/assign", {"staff_id": str(heating_worker.id)}
    )
    await post(service, heating_worker, f"/api/v1/reports/{late}/start")
    service.set_clock(start + timedelta(hours=30))  # past the 24 h resolve SLA
    await post(service, heating_worker, f"/api/v1/reports/{late}/resolve", {"note": "done"})
    service.set_clock(start + timedelta(days=2))
    still_open = (await community.submit(reporter))["id"]
    service.set_clock(start + timedelta(days=3))

    rows = await export(service, committee)
    assert [row["编号"] for row in rows] == [late, still_open]  # oldest first
    heating = rows[0]
    assert heating["类别"] == "heating"
    assert heating["部门"] == "heating"
    assert heating["状态"] == "resolved"
    assert heating["描述"] == "暖气不热, =1+1"  # a comma inside, quoted; not at the start: untouched
    assert heating["提交时间"] == "2026-10-10T08:00:00+00:00"
    assert heating["受理时间"] == "2026-10-10T09:00:00+00:00"
    assert heating["受理用时(分钟)"] == "60.0"
    assert heating["办结用时(分钟)"] == str(30 * 60.0)
    assert (heating["受理超时"], heating["办结超时"]) == ("否", "是")
    assert heating["办结时限"] != ""
    assert heating["处理人编号"] == str(heating_worker.id)
    assert rows[1]["受理时间"] == ""
    assert rows[1]["受理用时(分钟)"] == ""

    # Ranges: dates (a `to` date includes its day) and date-times with offsets.
    assert [r["编号"] for r in await export(service, committee, **{"from": "2026-10-11"})] == [still_open]
    assert [r["编号"] for r in await export(service, committee, to="2026-10-10")] == [late]
    only_first = await export(
        service, committee, **{"from": "2026-10-10T15:00:00+08:00", "to": "2026-10-10T17:00+08:00"}
    )
    assert [r["编号"] for r in only_first] == [late]
    assert [r["编号"] for r in await export(service, committee, category="heating")] == [late]

    # A manager exports their own department only.
    assert [r["编号"] for r in await export(service, heating_manager)] == [late]
    property_manager = await community.staff("property_manager", "property")
    assert [r["编号"] for r in await export(service, property_manager)] == [still_open]


async def test_bad_ranges_and_roles(service: Service, community: Community) -> None:
    committee = community.person("committee")
    for params in ({"from": "yesterday"}, {"to": "2026-13-01"}, {"from": "2026-10-02", "to": "2026-10-01"}):
        response = await call(service, committee, "GET", EXPORT, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_time_range"
    for person in (community.resident(), await community.staff(), community.person("courier")):
        assert (await call(service, person, "GET", EXPORT)).status_code == 403
    assert (await call(service, None, "GET", EXPORT)).status_code == 401

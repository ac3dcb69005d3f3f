"""Escalation across services (real forum and reports servers on one exchange): the thread
becomes exactly one report even when the escalation event is delivered three times, and the
report's progress comes back into the thread as system posts."""

from __future__ import annotations

import uuid

import httpx

from contracts import RoleGrantedV1, ThreadEscalatedV1
from tests.e2e.stack import stack_of
from tests.forum.helpers import SIGNER, EventTap, eventually, person, publish, publish_envelopes


async def test_one_report_per_escalated_thread_and_its_progress_in_the_thread(namespace: str) -> None:
    overrides = {"forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False}}
    async with stack_of(
        ["reports", "forum"], namespace=namespace, signer=SIGNER, overrides=overrides
    ) as stack:
        forum_settings = stack.settings["forum"]
        community = uuid.uuid4()
        author = person(community, building="7号楼")
        manager = person(community, "property_manager")
        await publish(
            forum_settings,
            RoleGrantedV1(
                community_id=community, user_id=manager.id, role="property_manager", department="property"
            ),
        )
        async with (
            httpx.AsyncClient(base_url=stack.urls["forum"], timeout=30) as forum,
            httpx.AsyncClient(base_url=stack.urls["reports"], timeout=30) as reports,
        ):
            thread = await forum.post(
                "/api/v1/forum/threads",
                json={
                    "board": "grievances",
                    "title": "楼道灯坏了",
                    "body": "三楼楼道灯不亮",
                    "building": "7号楼",
                },
                headers=author.headers,
            )
            thread_id = thread.json()["id"]
            async with EventTap(forum_settings, ThreadEscalatedV1.event_type) as tap:
                assert (
                    await forum.post(f"/api/v1/forum/threads/{thread_id}/escalate", headers=author.headers)
                ).status_code == 200

                async def escalated() -> bool:
                    return bool(tap.of(ThreadEscalatedV1.event_type))

                await eventually(escalated, what="escalation published")
            await publish_envelopes(
                forum_settings, tap.of(ThreadEscalatedV1.event_type), copies=2
            )  # redelivered

            async def echoed() -> bool:
                body = (await forum.get(f"/api/v1/forum/threads/{thread_id}", headers=author.headers)).json()
                return body["report_id"] is not None

            await eventually(echoed, what="report linked to the thread")
            mine = (
                await reports.get("/api/v1/reports", params={"scope": "mine"}, headers=author.headers)
            ).json()
            assert len(mine["items"]) == 1
            report_id = mine["items"][0]["id"]
            assert (await forum.get(f"/api/v1/forum/threads/{thread_id}", headers=author.headers)).json()[
                "report_id"
            ] == report_id

            accepted = await reports.post(f"/api/v1/reports/{report_id}/accept", headers=manager.headers)
            assert accepted.status_code == 200, accepted.text

            async def progress_posted() -> bool:
                body = (await forum.get(f"/api/v1/forum/threads/{thread_id}", headers=author.headers)).json()
                return any("已受理" in p["body"] for p in body["posts"] if p["kind"] == "system")

            await eventually(progress_posted, what="status change in the thread")
            system = [
                p["body"]
                for p in (
                    await forum.get(f"/api/v1/forum/threads/{thread_id}", headers=author.headers)
                ).json()["posts"]
                if p["kind"] == "system"
            ]
            assert len(system) == 2
            assert system[1] == "报修单进度：已提交 → 已受理"

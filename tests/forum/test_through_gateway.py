"""The authorization matrix through the gateway's proxy (real gateway and forum servers): mediator
notes, anonymous complainants, hidden posts and the moderation queue reach only whom they should,
with the gateway in front exactly as without it."""

from __future__ import annotations

import uuid

import httpx

from contracts import RoleGrantedV1
from forum.config import Settings as ForumSettings
from tests.e2e.stack import stack_of
from tests.forum.helpers import SIGNER, eventually, known_to_forum_app, person, publish


async def test_authorization_matrix_through_the_gateway(namespace: str) -> None:
    overrides = {"forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False}}
    async with stack_of(
        ["forum", "gateway"], namespace=namespace, signer=SIGNER, overrides=overrides
    ) as stack:
        community = uuid.uuid4()
        complainant, respondent, mediator, bystander = (person(community) for _ in range(4))
        admin = person(community, "admin")
        await publish(
            stack.settings["forum"],
            RoleGrantedV1(community_id=community, user_id=mediator.id, role="mediator"),
        )
        async with httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as gw:

            async def mediator_known() -> bool:
                me = await gw.get("/api/v1/forum/me", headers=mediator.headers)
                return me.status_code == 200 and bool(me.json()["is_mediator"])

            await eventually(mediator_known, what="mediator projected behind the gateway")
            # The respondent signed up: the forum knows them as a person of the community.
            forum_settings = stack.settings["forum"]
            assert isinstance(forum_settings, ForumSettings)
            await known_to_forum_app(stack.apps["forum"], forum_settings, respondent)

            dispute = await gw.post(
                "/api/v1/forum/disputes",
                json={"parties": [str(respondent.id)], "summary": "楼上漏水", "hide_identity": True},
                headers=complainant.headers,
            )
            assert dispute.status_code == 201, dispute.text
            url = f"/api/v1/forum/disputes/{dispute.json()['id']}"
            assert (await gw.get(url, headers=respondent.headers)).json()["complainant_id"] is None
            assert (await gw.get(url, headers=mediator.headers)).json()["complainant_id"] == str(
                complainant.id
            )
            assert (await gw.get(url, headers=bystander.headers)).status_code == 404
            note = await gw.post(f"{url}/notes", json={"body": "先分开谈"}, headers=mediator.headers)
            assert note.status_code == 201
            for who in (complainant, respondent, admin):
                assert (await gw.get(f"{url}/notes", headers=who.headers)).status_code == 403
            assert (await gw.get(f"{url}/notes", headers=mediator.headers)).json()["items"][0][
                "body"
            ] == "先分开谈"

            thread = await gw.post(
                "/api/v1/forum/threads",
                json={"board": "grievances", "title": "骂人", "body": "难听的话"},
                headers=respondent.headers,
            )
            post_id = thread.json()["opening_post"]["id"]
            hidden = await gw.post(
                f"/api/v1/forum/moderation/posts/{post_id}/hide",
                json={"reason": "offensive"},
                headers=mediator.headers,
            )
            assert hidden.status_code == 200
            assert (
                await gw.get(f"/api/v1/forum/posts/{post_id}", headers=bystander.headers)
            ).status_code == 404
            mine = await gw.get(f"/api/v1/forum/posts/{post_id}", headers=respondent.headers)
            assert mine.json()["moderation"]["hidden_by"] == "moderator"

            for who in (bystander, complainant):
                assert (
                    await gw.get("/api/v1/forum/moderation/queue", headers=who.headers)
                ).status_code == 403
            assert (
                await gw.get("/api/v1/forum/moderation/queue", headers=mediator.headers)
            ).status_code == 200
            assert (await gw.get("/api/v1/forum/moderation/queue", headers=admin.headers)).status_code == 200
            assert (await gw.get("/api/v1/forum/moderation/queue")).status_code == 401

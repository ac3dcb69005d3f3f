"""The projections' backfill (issue 11): accounts and communities made before the services kept
projections reach them through `python -m gateway.cli backfill-people`, which announces every
community and every live account again through the gateway's outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from gateway.adapters.tables import communities, users
from gateway.cli import run_command
from gateway.config import Settings
from reports.adapters.tables import communities as reports_communities
from reports.adapters.tables import people as reports_people
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of


async def test_backfill_announces_old_accounts_and_communities_once_each() -> None:
    async with stack_of(
        ["reports", "gateway"], namespace=new_namespace(), signer=TokenSigner.generate()
    ) as stack:
        gateway_runtime = stack.apps["gateway"].state.runtime
        reports_runtime = stack.apps["reports"].state.runtime
        community_id, code = uuid.uuid4(), f"old-{uuid.uuid4().hex[:8]}"
        old = {uuid.uuid4(): f"老住户{i}" for i in range(7)}
        gone = uuid.uuid4()
        # Written straight into the gateway's tables, as before the projections existed: no events.
        async with gateway_runtime.uow() as uow:
            await uow.session.execute(insert(communities).values(id=community_id, code=code, name="老社区"))
            await uow.session.execute(
                insert(users).values(
                    [
                        {
                            "id": user_id,
                            "community_id": community_id,
                            "phone": f"1390{i:07d}",
                            "display_name": name,
                        }
                        for i, (user_id, name) in enumerate(old.items())
                    ]
                )
            )
            await uow.session.execute(
                insert(users).values(
                    id=gone,
                    community_id=community_id,
                    display_name="已注销用户",
                    deleted_at=datetime.now(UTC),
                )
            )
            await uow.commit()

        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        said = await run_command(["backfill-people", "--community-code", code, "--batch", "3"], settings)
        assert said == "announced 1 communities and 7 accounts"

        async def projected() -> dict[uuid.UUID, str | None]:
            async with reports_runtime.uow() as uow:
                rows = await uow.session.execute(
                    select(reports_people.c.user_id, reports_people.c.display_name).where(
                        reports_people.c.community_id == community_id
                    )
                )
                return {row.user_id: row.display_name for row in rows}

        for _ in range(300):
            if len(await projected()) == len(old):
                break
            await asyncio.sleep(0.05)
        assert await projected() == old  # every live account by its name; the deleted one not at all
        async with reports_runtime.uow() as uow:
            known = (
                await uow.session.execute(
                    select(reports_communities.c.code, reports_communities.c.name).where(
                        reports_communities.c.id == community_id
                    )
                )
            ).all()
        assert [(row.code, row.name) for row in known] == [(code, "老社区")]

        # Twice is harmless: the same rows, the current names.
        renamed = next(iter(old))
        async with gateway_runtime.uow() as uow:
            await uow.session.execute(
                users.update().where(users.c.id == renamed).values(display_name="新名字")
            )
            await uow.commit()
        await run_command(["backfill-people", "--community-code", code], settings)
        for _ in range(300):
            if (await projected()).get(renamed) == "新名字":
                break
            await asyncio.sleep(0.05)
        assert await projected() == {**old, renamed: "新名字"}

"""Command line for operators: the first admin account, role grants, and the projections' backfill.

    python -m gateway.cli create-admin --phone 13800138000 --password '...' \\
        [--community-code hepingli --community-name 和平里社区] [--display-name 管理员]
    python -m gateway.cli grant-role --phone 13800138000 --role property_manager [--department property]
    python -m gateway.cli revoke-role --phone 13800138000 --role courier
    python -m gateway.cli backfill-people [--community-code hepingli] [--batch 500]

It uses the gateway's settings (GATEWAY_* environment) and database, migrating it first. Events
(user registered, role granted) go to the outbox; the running gateway's relay publishes them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence

import redis.asyncio as aioredis
from sqlalchemy import select

from gateway.adapters.passwords import configure_hashing
from gateway.adapters.rights import RightsBoard
from gateway.adapters.tables import communities, users
from gateway.config import Settings
from gateway.domain.identity import DEPARTMENTS, ROLES, normalise_phone
from gateway.main import MIGRATIONS
from gateway.service_layer import accounts, backfill, community
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWorkFactory, create_engine, session_factory
from servicekit.domain import DomainError
from servicekit.migrations import migrate

# The CLI acts as the operator, with every right, inside one community at a time.
_OPERATOR = uuid.UUID(int=0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin account (and its community if new)")
    admin.add_argument("--phone", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--display-name", default="管理员")
    admin.add_argument("--community-code", default="default")
    admin.add_argument("--community-name", default="默认社区")
    for name in ("grant-role", "revoke-role"):
        command = commands.add_parser(name, help=f"{name.split('-')[0]} a role of an existing account")
        command.add_argument("--phone", required=True)
        command.add_argument("--role", required=True, choices=ROLES)
        if name == "grant-role":
            command.add_argument("--department", choices=DEPARTMENTS)
    backfill = commands.add_parser(
        "backfill-people",
        help="announce every community and every live account again (the services' projections)",
    )
    backfill.add_argument("--community-code", help="only this community")
    backfill.add_argument("--batch", type=int, default=500, help="accounts per transaction")
    return parser


async def _backfill(args: argparse.Namespace, settings: Settings) -> str:
    await migrate(settings, MIGRATIONS)
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=2)
    uows = UnitOfWorkFactory(session_factory(engine), producer=settings.service_name)
    try:
        counts = await backfill.announce_everyone(
            uows, community_code=args.community_code, batch=max(1, args.batch)
        )
    finally:
        await engine.dispose()
    return f"announced {counts['communities']} communities and {counts['users']} accounts"


async def _run(args: argparse.Namespace, settings: Settings) -> str:
    if args.command == "backfill-people":
        return await _backfill(args, settings)
    phone = normalise_phone(args.phone)
    if phone is None:
        raise DomainError("validation_failed", 422)
    configure_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    await migrate(settings, MIGRATIONS)
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=2)
    uows = UnitOfWorkFactory(session_factory(engine), producer=settings.service_name)
    try:
        async with uows() as uow:
            if args.command == "create-admin":
                if len(args.password) < 8:
                    raise SystemExit("the password needs at least 8 characters")
                community_id = await uow.session.scalar(
                    select(communities.c.id).where(communities.c.code == args.community_code)
                )
                if community_id is None:
                    created = await accounts.create_community(
                        uow,
                        code=args.community_code,
                        name=args.community_name,
                        timezone=settings.community_timezone,
                    )
                    community_id = created["id"]
                user_id = await accounts.create_user(
                    uow,
                    community_id=community_id,
                    display_name=args.display_name,
                    phone=phone,
                    password=args.password,
                    roles=("resident", "admin"),
                )
                await uow.commit()
                return f"admin {user_id} created in community {args.community_code} ({community_id})"
            row = (
                await uow.session.execute(
                    select(users.c.id, users.c.community_id).where(users.c.phone == phone)
                )
            ).first()
            if row is None:
                raise SystemExit(f"no account with phone {phone}")
            operator = CurrentUser(
                id=_OPERATOR,
                community_id=row.community_id,
                roles=frozenset({"admin"}),
                household_id=None,
                building=None,
                token_id="cli",  # noqa: S106  (an id for logs, not a secret)
            )
            # The change reaches tokens already issued too (adapters/rights.py).
            redis = aioredis.from_url(settings.redis_url)
            try:
                board = RightsBoard(
                    redis,
                    prefix=settings.redis_prefix + "rights:",
                    ttl_seconds=settings.access_token_ttl_seconds,
                )
                if args.command == "grant-role":
                    view = await community.grant_role(
                        uow, operator, board, user_id=row.id, role=args.role, department=args.department
                    )
                    return f"{row.id}: {', '.join(r['role'] for r in view['roles'])}"
                await community.revoke_role(uow, operator, board, user_id=row.id, role=args.role)
                return f"{row.id}: {args.role} revoked"
            finally:
                await redis.aclose()
    finally:
        await engine.dispose()


async def run_command(argv: Sequence[str], settings: Settings) -> str:
    """Run one command; returns what it prints. Raises DomainError or SystemExit on failure."""
    return await _run(_parser().parse_args(argv), settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(_run(args, Settings())))
    except DomainError as exc:
        print(f"error: {exc.code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

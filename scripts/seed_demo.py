"""The demo community (issue 12, API.md "First run"): `python3 dev.py run` calls this once every
service is ready, on a system that has no community yet.

    python scripts/seed_demo.py [--gateway http://127.0.0.1:8000] [--scale 1.0] [--seed 20261203]

What it makes, for community `demo` (演示社区): 18 buildings (units, floors, the six-storey ones
without a lift) and about 2,600 households in one directory import; accounts for the active people
(admin, committee, mediators, staff of every department, 30 couriers, residents; the other
residents of the 5,700 exist as households, see ACCOUNTS below); 150 merchants; errands in every
state the API can reach, repair reports through their whole state machine with reopenings and
ratings, threads in Chinese with a complaint burst in building 7, disputes and deliberations in
many states.

How: everything after the accounts goes through the running gateway over HTTP, as the
mini-program and the console would, so each service's own use cases run and emit their events.
The accounts themselves (and their sessions) are made the way `python -m gateway.cli` makes the
first admin: the gateway's own `create_user`/`issue_tokens` use cases in this process, with the
gateway's settings and database. Over HTTP they would take an hour: sign-up and sign-in are
limited to 20 a minute per address (and the seeder would use up the limit the person who just
started the system needs to sign in).

The past: six months of it, through the services' development clock (servicekit.clock; why and
how in docs/architecture.md, "The demo community's past"). Each request of the history carries
X-Weilinli-Demo-Time and this run's seeding secret (WEILINLI_DEMO_TIME_SECRET, which run_local
generates); without the secret the history happens now. Finished things go months back, open
ones stay where the services' real-time jobs leave them (last week's reports past their SLA,
today's open orders, deliberations inside their windows).

Idempotent and resumable: a system that already has the demo community (or any community) is left
alone, unless the journal (`.var/demo-seed-<gateway database>.jsonl`) says a run stopped halfway:
then the same seed is replayed with the recorded answers and the history goes on from there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import make_url

from servicekit.clock import DEMO_SECRET_HEADER, DEMO_TIME_HEADER

DEMO_CODE = "demo"
DEMO_NAME = "演示社区"
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed for everyone on purpose: demo accounts only
DEFAULT_SEED = 20261203
CENTER = (39.9087, 116.3975)  # the example community, a Beijing compound (GCJ-02)

BUILDINGS = 18
HOUSEHOLDS = 2600
RESIDENTS = 5700  # people; ACCOUNTS of them get an account, the rest live in the households
COURIERS = 30
MERCHANTS = 150
# Accounts cost an argon2 hash each (about 0.15-0.3 s on this machine's 2 cores): the active people
# get one, enough that every role, building and queue is alive within the two-minute budget.
RESIDENT_ACCOUNTS = 50
ORDERS = 110
REPORTS = 70
THREADS = 30
# The history reaches this far back (the services' own clock, see "the past" below).
HISTORY_DAYS = 182
LOCAL = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]
DEMO_SECRET_ENV = "WEILINLI_DEMO_TIME_SECRET"  # noqa: S105 - the variable's name


class SeedError(Exception):
    """A step of the seeding failed; the message says which request and what came back."""


@dataclass
class Account:
    role: str  # the role this demo login shows (resident, courier, property_manager, ...)
    phone: str
    name: str
    department: str | None = None
    elderly: bool = False
    id: uuid.UUID | None = None
    token: str = ""
    household: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class SeedResult:
    created: bool
    message: str
    community_id: uuid.UUID | None = None
    logins: list[Account] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def scaled(value: int, scale: float, minimum: int) -> int:
    return max(minimum, round(value * scale))


# -- identity: the gateway's own use cases, as its CLI uses them --------------------------------------
class Identity:
    """Accounts and sessions through the gateway's service layer (see the module docstring)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    async def __aenter__(self) -> Identity:
        from gateway.adapters.passwords import configure_hashing
        from gateway.adapters.signing import load_signer
        from gateway.service_layer import accounts
        from gateway.service_layer.accounts import TokenPolicy
        from servicekit.db import UnitOfWorkFactory, create_engine, session_factory

        s = self.settings
        configure_hashing(time_cost=s.password_hash_time_cost, memory_kib=s.password_hash_memory_kib)
        # Every demo account has the same public password: its argon2 hash (salted, the gateway's
        # cost) is computed once and given to all of them, instead of 110 hashes of the same
        # password (0.3-0.5 s each on this loaded machine). Any other password is hashed as ever.
        real_hash = self.real_hash = accounts.hash_password
        demo_hash: list[str] = []

        async def hash_once(password: str) -> str:
            if password != DEMO_PASSWORD:
                return await real_hash(password)
            if not demo_hash:
                demo_hash.append(await real_hash(password))
            return demo_hash[0]

        accounts.hash_password = hash_once  # type: ignore[assignment]
        self.engine = create_engine(s.database_url.get_secret_value(), pool_size=4)
        self.uows = UnitOfWorkFactory(session_factory(self.engine), producer=s.service_name)
        self.policy = TokenPolicy(
            signer=load_signer(s),
            access_ttl_seconds=s.access_token_ttl_seconds,
            refresh_ttl_seconds=s.refresh_token_ttl_seconds,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        from gateway.service_layer import accounts

        accounts.hash_password = self.real_hash  # type: ignore[assignment]
        await self.engine.dispose()

    async def communities(self) -> list[dict[str, Any]]:
        from gateway.service_layer import accounts

        async with self.uows() as uow:
            return await accounts.list_communities(uow)

    async def create_community(self) -> uuid.UUID:
        from gateway.service_layer import accounts

        async with self.uows() as uow:
            created = await accounts.create_community(
                uow, code=DEMO_CODE, name=DEMO_NAME, timezone=self.settings.community_timezone
            )
            await uow.commit()
        community_id: uuid.UUID = created["id"]
        return community_id

    async def create(
        self, community_id: uuid.UUID, people: list[Account], admin: Account, journal: Journal
    ) -> None:
        from gateway.service_layer import accounts

        gate = asyncio.Semaphore(4)

        async def one(person: Account) -> None:
            made = journal.get(f"account:{person.phone}")
            if made:  # made by a run that stopped halfway
                person.id = uuid.UUID(made)
                return
            async with gate, self.uows() as uow:
                person.id = await accounts.create_user(
                    uow,
                    community_id=community_id,
                    display_name=person.name,
                    phone=person.phone,
                    password=DEMO_PASSWORD,
                    roles=("resident", "admin") if person is admin else ("resident",),
                )
                await uow.commit()
            journal.record(f"account:{person.phone}", str(person.id))

        await asyncio.gather(*(one(p) for p in people))

    async def sign_in(self, people: Iterable[Account]) -> None:
        """A session per account (what a sign-in returns), without a second argon2 round."""
        from gateway.service_layer import accounts

        for person in people:
            assert person.id is not None
            async with self.uows() as uow:
                tokens = await accounts.issue_tokens(uow, self.policy, person.id, family_id=uuid.uuid4())
                await uow.commit()
            person.token = str(tokens["access_token"])


# -- HTTP --------------------------------------------------------------------------------------------
# -- the past ----------------------------------------------------------------------------------------
# The instant this task's requests happen at (None: now). Each concurrent strand of the history runs
# in a task of its own, so each keeps its own calendar. Sent as X-Weilinli-Demo-Time with this run's
# seeding secret; the services honour it in development only (servicekit.clock).
seed_time: ContextVar[datetime | None] = ContextVar("seed_time", default=None)


def happen_at(when: datetime | None) -> datetime:
    """This task's next requests happen at ``when`` (at most a second ago: the services ignore a
    time in the future); None: now."""
    if when is None:
        seed_time.set(None)
        return datetime.now(UTC)
    when = min(when, datetime.now(UTC) - timedelta(seconds=1))
    seed_time.set(when)
    return when


def later(**delta: float) -> datetime:
    """Move this task's clock on (e.g. ``later(minutes=20)``); it never passes the present."""
    current = seed_time.get()
    return happen_at(None if current is None else current + timedelta(**delta))


def then() -> datetime:
    """The instant this task's requests happen at."""
    return seed_time.get() or datetime.now(UTC)


def day_ago(origin: datetime, rng: random.Random, low: float, high: float) -> datetime:
    """An instant in daytime (7:00-21:59 in the community) between ``low`` and ``high`` days before
    ``origin``."""
    day = (origin - timedelta(days=rng.uniform(low, high))).astimezone(LOCAL)
    return day.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59), second=0, microsecond=0)


# -- resuming -----------------------------------------------------------------------------------------
class Journal:
    """What this seeding has done, one JSON line per fact, so that a seeding stopped halfway
    (Ctrl-C, a crash) is resumed by the next run: the community, each account, and the answer to
    each change request under a key that names its place in the history (see `Scope`). Replaying
    the same seed with the answers recorded reaches the same point and goes on from there."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    entry = json.loads(line)
                    self.entries[entry["k"]] = entry["v"]

    def get(self, key: str) -> Any:
        return self.entries.get(key)

    def record(self, key: str, value: Any) -> None:
        self.entries[key] = value
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"k": key, "v": value}, ensure_ascii=False, default=str) + "\n")

    def reset(self) -> None:
        self.entries = {}
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass
class Scope:
    """A sequential part of the history (a report's life, a courier's lane, the setup): its change
    requests are numbered in order, which is the same on every run of the same seed."""

    name: str
    calls: int = 0
    children: int = 0

    def next_key(self) -> str:
        self.calls += 1
        return f"{self.name}#{self.calls}"


scope_var: ContextVar[Scope] = ContextVar("seed_scope", default=Scope("main"))  # noqa: B039 - replaced per task


def enter_scope(name: str) -> None:
    scope_var.set(Scope(name))


class SeedInterrupted(SeedError):
    """Tests only: the seeding stopped after a given number of change requests (`stop_after`)."""


class Api:
    def __init__(
        self,
        client: httpx.AsyncClient,
        demo_secret: str = "",
        journal: Journal | None = None,
        stop_after: int | None = None,
    ) -> None:
        self.client = client
        self.requests = 0
        self.demo_secret = demo_secret
        self.journal = journal or Journal(None)
        self.replayed = 0
        self.changes = 0
        self.stop_after = stop_after
        self.resuming = False
        self.idempotency_base = ""  # the community's id, once known

    async def call(
        self,
        method: str,
        path: str,
        who: Account | None,
        json: Any = None,
        *,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        key: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if method != "GET":
            key = key or scope_var.get().next_key()
            if key in self.journal.entries:
                self.replayed += 1
                return self.journal.get(key)
            if self.stop_after is not None and self.changes >= self.stop_after:
                raise SeedInterrupted(f"stopped after {self.changes} changes")
            self.changes += 1
        headers = dict(who.headers) if who is not None else {}
        headers.update(kwargs.pop("headers", {}))
        if key is not None:
            # The same change has the same key on a resumed run: a service that keeps
            # Idempotency-Key answers again what a stopped run never heard, instead of doing it twice.
            name = f"weilinli-demo/{self.idempotency_base}/{key}"
            headers.setdefault("Idempotency-Key", str(uuid.uuid5(uuid.NAMESPACE_URL, name)))
        at = seed_time.get()
        if at is not None and self.demo_secret:
            headers[DEMO_TIME_HEADER] = at.isoformat()
            headers[DEMO_SECRET_HEADER] = self.demo_secret
        for attempt in range(6):
            self.requests += 1
            response = await self.client.request(method, path, json=json, headers=headers, **kwargs)
            if response.status_code in (429, 502, 503) and attempt < 5:
                await asyncio.sleep(float(response.headers.get("Retry-After", "0.5") or 0.5))
                continue
            break
        if response.status_code == 409 and self.resuming and key is not None and 409 not in ok:
            # Resuming: a change whose answer the stopped run never recorded was most likely made
            # (the state moved on); the history goes on from there.
            self.journal.record(key, None)
            return None
        if response.status_code not in ok:
            raise SeedError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
        body = response.json() if response.content else None
        if key is not None:
            self.journal.record(key, body)
        return body

    async def until_ok(
        self, method: str, path: str, who: Account, json: Any = None, patience: float = 60
    ) -> Any:
        """For a request that depends on events another service has not applied yet."""
        deadline = time.monotonic() + patience
        key = scope_var.get().next_key() if method != "GET" else None  # one key for every attempt
        while True:
            try:
                return await self.call(method, path, who, json, key=key)
            except SeedError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    async def post(self, path: str, who: Account, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, who, json, **kwargs)

    async def get(self, path: str, who: Account, **kwargs: Any) -> Any:
        return await self.call("GET", path, who, **kwargs)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, patience: float = 60.0) -> None:
    """Events travel through the broker: wait until the other service has applied them."""
    deadline = time.monotonic() + patience
    while not await check():
        if time.monotonic() > deadline:
            raise SeedError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def bounded(limit: int, jobs: Iterable[Awaitable[Any]]) -> list[Any]:
    """Run ``jobs`` a few at a time, each in a `Scope` of its own named by its place."""
    gate = asyncio.Semaphore(limit)
    parent = scope_var.get()
    parent.children += 1
    base = f"{parent.name}.{parent.children}"

    async def run(index: int, job: Awaitable[Any]) -> Any:
        enter_scope(f"{base}/{index}")
        async with gate:
            return await job

    return list(await asyncio.gather(*(run(i, j) for i, j in enumerate(jobs))))


# -- the community's shape ---------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂兰",
    "建国",
    "淑珍",
    "志强",
    "海燕",
    "晓东",
    "玉兰",
    "春梅",
    "国庆",
    "丽华",
]
ELDERS = ["大爷", "奶奶", "阿姨", "叔", "老师", "师傅"]


def person_name(rng: random.Random, elderly: bool) -> str:
    surname = rng.choice(SURNAMES)
    return f"{surname}{rng.choice(ELDERS)}" if elderly else f"{surname}{rng.choice(GIVEN)}"


@dataclass(frozen=True)
class Building:
    name: str
    units: int
    floors: int
    rooms_per_floor: int
    has_lift: bool


def buildings() -> list[Building]:
    """Six-storey walk-ups from the 1980s (no lift) and newer high-rises with lifts."""
    result = []
    for number in range(1, BUILDINGS + 1):
        if number <= 6:
            result.append(Building(str(number), 5, 6, 3, False))
        elif number <= 12:
            result.append(Building(str(number), 3, 11, 4, True))
        else:
            result.append(Building(str(number), 3, 18, 4, True))
    return result


def directory_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    every = [
        {"building": b.name, "unit": str(u), "floor": f, "room": f"{f}{r:02d}", "has_lift": b.has_lift}
        for b in buildings()
        for u in range(1, b.units + 1)
        for f in range(1, b.floors + 1)
        for r in range(1, b.rooms_per_floor + 1)
    ]
    picked = sorted(rng.sample(range(len(every)), min(count, len(every))))
    rows = []
    for index in picked:
        row = every[index]
        # Walk-ups house the oldest residents: elderly living alone are commoner there.
        alone_share = 0.16 if not row["has_lift"] else 0.07
        rows.append(
            {
                **row,
                "elderly_alone": rng.random() < alone_share,
                "disability": rng.random() < 0.02,
                "low_income": rng.random() < 0.03,
            }
        )
    return rows


def directory_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["楼号", "单元", "楼层", "房号", "电梯", "独居老人", "残疾", "低保"])
    yes = {True: "是", False: "否"}
    for r in rows:
        writer.writerow(
            [
                r["building"],
                r["unit"],
                r["floor"],
                r["room"],
                yes[r["has_lift"]],
                yes[r["elderly_alone"]],
                yes[r["disability"]],
                yes[r["low_income"]],
            ]
        )
    return out.getvalue().encode("utf-8-sig")


@dataclass
class Cast:
    admin: Account
    committee: list[Account]
    mediators: list[Account]
    staff: dict[str, list[Account]]  # department -> managers first, then staff
    couriers: list[Account]
    residents: list[Account]

    @property
    def everyone(self) -> list[Account]:
        staff = [p for people in self.staff.values() for p in people]
        return [self.admin, *self.committee, *self.mediators, *staff, *self.couriers, *self.residents]

    def managers(self, department: str) -> list[Account]:
        return [p for p in self.staff[department] if p.role == "property_manager"]

    def workers(self, department: str) -> list[Account]:
        return [p for p in self.staff[department] if p.role == "property_staff"]


DEPARTMENTS = {"property": (2, 8), "heating": (1, 3), "police": (1, 2), "urban_management": (1, 2)}
DEPARTMENT_TITLE = {"property": "物业", "heating": "热力", "police": "民警", "urban_management": "城管"}


def make_cast(rng: random.Random, scale: float) -> Cast:
    numbers = iter(range(1, 10_000))

    def account(role: str, name: str, **extra: Any) -> Account:
        return Account(role=role, phone=f"1380000{next(numbers):04d}", name=name, **extra)

    admin = account("admin", "社区管理员")
    committee = [
        account("committee", f"{person_name(rng, False)}(居委会)") for _ in range(scaled(5, scale, 1))
    ]
    mediators = [account("mediator", f"{person_name(rng, True)}(调解员)") for _ in range(scaled(4, scale, 1))]
    staff: dict[str, list[Account]] = {}
    for department, (managers, workers) in DEPARTMENTS.items():
        title = DEPARTMENT_TITLE[department]
        staff[department] = [
            account("property_manager", f"{person_name(rng, False)}({title}主管)", department=department)
            for _ in range(scaled(managers, scale, 1))
        ] + [
            account("property_staff", f"{person_name(rng, False)}({title})", department=department)
            for _ in range(scaled(workers, scale, 1))
        ]
    couriers = [account("courier", person_name(rng, False)) for _ in range(scaled(COURIERS, scale, 3))]
    residents = []
    for index in range(scaled(RESIDENT_ACCOUNTS, scale, 8)):
        elderly = index % 4 == 1  # a quarter of the active accounts are 60+ (more than a fifth)
        residents.append(account("resident", person_name(rng, elderly), elderly=elderly))
    return Cast(admin, committee, mediators, staff, couriers, residents)


def demo_logins(cast: Cast) -> list[Account]:
    """The accounts the run prints and the README lists: one per role and department, the busiest
    courier (the first, who gets the largest share of orders) and a new one, two residents (the
    second one of the older residents)."""
    chosen = [cast.admin, cast.committee[0], cast.mediators[0]]
    for department in DEPARTMENTS:
        chosen += [cast.managers(department)[0], cast.workers(department)[0]]
    return [*chosen, cast.couriers[0], cast.couriers[-1], cast.residents[0], cast.residents[1]]


# -- the steps ---------------------------------------------------------------------------------------
REPORT_TEXT: dict[str, list[str]] = {
    "heating": [
        "家里暖气不热，室温只有十五度，老人受不了",
        "暖气片上面热下面凉，是不是该放气了",
        "楼上楼下都热，就我家暖气冰凉",
    ],
    "lifts": [
        "电梯又坏了，停在八楼不动，老人上不去",
        "电梯门关不严，晃得厉害，有安全隐患",
        "电梯按钮失灵，按了没反应",
    ],
    "noise": [
        "楼下棋牌室半夜还在吵，孩子没法睡觉",
        "隔壁装修早上七点就开始砸墙",
        "广场舞音响太大声了，晚上九点还没停",
    ],
    "water_drains": ["厨房下水道堵了，污水往上返", "卫生间水管漏水，楼下邻居说天花板湿了"],
    "stairwell_lighting": ["三楼楼道灯不亮，晚上上楼看不见", "单元门口的灯坏了好几天了"],
    "sanitation": ["垃圾桶满了没人清，味道很大", "楼道里堆满了杂物和纸箱"],
    "parking_ebikes": ["电动车堵在单元门口，轮椅出不去", "消防通道被私家车占了"],
    "ebike_charging_hazard": ["有人从窗户拉电线给电动车充电，太危险了", "楼道里有电动车在充电"],
    "safety_hazard": ["小区后门的井盖松了，踩上去会翻", "外墙瓷砖掉下来了，差点砸到人"],
}

THREADS_TEXT = [
    ("mutual_help", "谁家有梯子借用一下", "家里灯泡坏了，想借个梯子，用完马上还，谢谢邻居们"),
    ("mutual_help", "有没有人一起拼单买大米", "超市发五常大米满两袋打折，有没有邻居一起拼"),
    (
        "mutual_help",
        "帮忙照看一下楼下的王奶奶",
        "王奶奶一个人住，这两天没见她下楼遛弯，谁住得近帮忙敲个门看看",
    ),
    ("mutual_help", "捡到一串钥匙", "在3号楼花坛边捡到一串钥匙，挂着小熊挂件，失主请联系我"),
    ("grievances", "楼上每天晚上拖椅子", "每天晚上十一点以后楼上拖椅子的声音特别响，能不能注意一下"),
    ("grievances", "遛狗请拴绳", "小区里好几条狗不拴绳，孩子被吓哭了，请养狗的邻居自觉一点"),
    ("grievances", "快递柜旁边堆满了纸箱", "快递柜旁边的纸箱没人收拾，下雨天都泡烂了"),
    ("deliberation", "建议在5号楼门口加装休息椅", "老人买菜回来走不动，希望门口能有几把椅子歇歇脚"),
    ("mutual_help", "周末义务理发", "社区志愿者周六上午在活动室给老人免费理发，欢迎大家来"),
    ("grievances", "高空抛物太危险", "今天早上又有人从楼上扔垃圾，差点砸到人"),
]

REPLIES = [
    "支持！",
    "同感，我家也是这样",
    "已经跟物业说过了，说这周处理",
    "谢谢楼主提醒",
    "我可以帮忙",
    "希望居委会重视一下",
    "+1",
    "上次也是这个问题，一直没解决",
]

# An earlier burst, settled since: building 2's heating when the season began (hotspots' history).
PAST_BURST = [
    "2号楼暖气不热，家里才十六度",
    "暖气不热，老人在家穿棉袄",
    "2号楼暖气又不热了，热力公司什么时候来",
    "暖气片冰凉，打了好几次电话没人管",
    "我家暖气也不热，孩子感冒了",
    "2号楼整栋暖气都不热吗",
]

BURST = [
    "7号楼电梯又坏了，困了两个人在里面",
    "电梯这个月第三次停运了，我妈八十多了爬不了十五楼",
    "7号楼电梯异响，坐着心里发慌",
    "电梯门夹人，物业能不能彻底修一修",
    "今天电梯又停了，背着孩子爬了十二层",
    "电梯维保到底有没有在做？7号楼天天坏",
    "电梯按钮不灵，下不了楼，买菜都困难",
    "强烈要求更换7号楼电梯",
    "电梯停运一整天了，没有任何通知",
    "坐轮椅的邻居下不了楼，电梯什么时候修好",
]


class Seeder:
    def __init__(
        self, api: Api, identity: Identity, rng: random.Random, scale: float, say: Callable[[str], None]
    ) -> None:
        self.journal = api.journal
        self.api, self.identity, self.rng, self.scale, self.say = api, identity, rng, scale, say
        self.counts: dict[str, int] = {}
        self.said: set[tuple[str, str]] = set()

    def unique(self, person: Account, text: str) -> str:
        """The forum refuses the same text from the same person twice in a row (duplicate_post)."""
        for tail in ("", "，谢谢", "，麻烦了", "，大家看看", "，顶一下", "，急", "，同问", "，加一"):
            if (person.phone, text + tail) not in self.said:
                self.said.add((person.phone, text + tail))
                return text + tail
        return f"{text}（第{len(self.said)}条）"

    def poster(self) -> Account:
        """Posts spread over the neighbours (the forum allows six a minute per person)."""
        people = [*self.cast.residents, *self.cast.couriers]
        self.turn = getattr(self, "turn", -1) + 1
        return people[self.turn % len(people)]

    async def run(self) -> SeedResult:
        started = time.monotonic()
        journal = self.journal
        present = await self.identity.communities()
        demo = next((c for c in present if c["code"] == DEMO_CODE), None)
        stopped = journal.get("community")
        if stopped and (demo is None or str(demo["id"]) != stopped):
            journal.reset()  # the journal of a system since reset
            stopped = None
        if present and not stopped:
            codes = ", ".join(sorted(str(c["code"]) for c in present))
            message = (
                "the demo community already exists: nothing to do"
                if demo is not None
                else f"the system has communities ({codes}): no demo community"
            )
            return SeedResult(created=False, message=message)
        if journal.get("done"):
            return SeedResult(created=False, message="the demo community already exists: nothing to do")
        rng = self.rng
        if stopped:
            self.api.resuming = True
            community_id = uuid.UUID(stopped)
            self.origin = datetime.fromisoformat(journal.get("origin"))
            self.say("resuming the demo community a previous run stopped halfway")
        else:
            # The history ends here and reaches HISTORY_DAYS back (the same on a resumed run).
            self.origin = datetime.now(UTC)
            community_id = await self.identity.create_community()
            journal.record("origin", self.origin.isoformat())
            journal.record("community", str(community_id))
        self.api.idempotency_base = str(community_id)
        cast = make_cast(rng, self.scale)
        self.cast = cast
        enter_scope("setup")
        await self.identity.create(community_id, cast.everyone, cast.admin, journal)
        self.counts["accounts"] = len(cast.everyone)
        self.say(f"{len(cast.everyone)} accounts created ({time.monotonic() - started:.1f} s)")
        await self.identity.sign_in([cast.admin])
        households = await self.directory()
        await self.roles()
        await self.claims(households)
        await self.identity.sign_in(cast.everyone)  # the new roles and households in the tokens
        self.say(f"directory, roles and households done ({time.monotonic() - started:.1f} s)")
        # Each strand gets its own Random, drawn in order: the same seed gives the same community
        # however the concurrent requests interleave.
        errands, reports, forum = (random.Random(self.rng.getrandbits(64)) for _ in range(3))

        async def strand(name: str, work: Awaitable[None]) -> None:
            enter_scope(name)
            await work
            self.say(f"{name} done ({time.monotonic() - started:.1f} s)")

        await asyncio.gather(
            strand("errands", self.merchants_and_errands(errands)),
            strand("reports", self.reports(reports)),
            strand("forum", self.forum(forum)),
        )
        journal.record("done", True)
        if self.api.replayed:
            self.say(f"resumed: {self.api.replayed} changes of the stopped run were already made")
        return SeedResult(
            created=True,
            message="demo community created",
            community_id=community_id,
            logins=self.logins(),
            counts=self.counts,
            seconds=time.monotonic() - started,
        )

    def logins(self) -> list[Account]:
        return demo_logins(self.cast)

    # -- directory, roles, households ---------------------------------------------------------------
    async def directory(self) -> list[dict[str, Any]]:
        rows = directory_rows(self.rng, scaled(HOUSEHOLDS, self.scale, 40))
        result = await self.api.post(
            "/api/v1/community/directory/import",
            self.cast.admin,
            files={"file": ("demo-directory.csv", directory_csv(rows), "text/csv")},
        )
        if result["errors"]:
            raise SeedError(f"directory import refused: {result['errors'][:3]}")
        self.counts["buildings"] = len({r["building"] for r in rows})
        self.counts["households"] = result["created"]
        self.counts["households_elderly_alone"] = sum(r["elderly_alone"] for r in rows)
        self.counts["residents"] = max(scaled(RESIDENTS, self.scale, 0), len(self.cast.everyone))
        return rows

    async def roles(self) -> None:
        cast, api = self.cast, self.api
        grants: list[tuple[Account, dict[str, Any]]] = [(p, {"role": "committee"}) for p in cast.committee]
        grants += [(p, {"role": "mediator"}) for p in cast.mediators]
        for department, people in cast.staff.items():
            for p in people:
                grants.append((p, {"role": p.role, "department": department}))
                if p.role == "property_manager":  # a manager works the queue too
                    grants.append((p, {"role": "property_staff", "department": department}))
        await bounded(
            6, (api.post(f"/api/v1/admin/users/{p.id}/roles", cast.admin, body) for p, body in grants)
        )
        await self.identity.sign_in(cast.couriers)
        applications = await bounded(
            6,
            (
                api.post(
                    "/api/v1/me/courier-application",
                    c,
                    {"real_name": c.name, "id_number_last4": f"{self.rng.randint(100, 999)}X"},
                )
                for c in cast.couriers
            ),
        )
        await bounded(
            6,
            (
                api.post(
                    f"/api/v1/community/courier-applications/{a['id']}/decision",
                    cast.admin,
                    {"decision": "approve"},
                )
                for a in applications
            ),
        )
        self.counts["couriers"] = len(cast.couriers)

    async def claims(self, rows: list[dict[str, Any]]) -> None:
        """Residents and couriers claim a home (实名), the committee approves. The elderly accounts
        live in the walk-ups, many of them alone."""
        cast, api, rng = self.cast, self.api, self.rng
        claimants = [*cast.residents, *cast.couriers, *cast.mediators]
        walk_ups = [r for r in rows if not r["has_lift"]]
        others = [r for r in rows if r["has_lift"]]
        rng.shuffle(walk_ups)
        rng.shuffle(others)
        for person in claimants:
            pool = walk_ups if (person.elderly and walk_ups) or not others else others
            person.household = pool.pop()
        await self.identity.sign_in(claimants)
        claims = await bounded(
            6,
            (
                api.post(
                    "/api/v1/me/household-claims",
                    p,
                    {
                        "building": p.household["building"],
                        "unit": p.household["unit"],
                        "room": p.household["room"],
                        "real_name": p.name,
                    },
                )
                for p in claimants
                if p.household is not None
            ),
        )
        approver = cast.committee[0]
        await self.identity.sign_in([approver])
        await bounded(
            6,
            (
                api.post(
                    f"/api/v1/community/household-claims/{c['id']}/decision",
                    approver,
                    {"decision": "approve"},
                )
                for c in claims
            ),
        )
        self.counts["households_claimed"] = len(claims)

    # -- errands -------------------------------------------------------------------------------------
    def place(self, person: Account) -> dict[str, Any]:
        home = person.household or {"building": "1", "unit": "1", "room": "101"}
        number = int(home["building"])
        north, east = (number % 6) * 40 - 100, (number // 6) * 60 - 60
        return {
            "building": home["building"],
            "unit": home["unit"],
            "room": home["room"],
            "detail": f"{home['building']}号楼{home['unit']}单元{home['room']}",
            "lat": CENTER[0] + north / 111_320,
            "lng": CENTER[1] + east / 85_390,
        }

    async def merchants_and_errands(self, rng: random.Random) -> None:
        from errand.seed import demo_merchants

        api, admin = self.api, self.cast.admin
        rows = demo_merchants(
            uuid.UUID(int=0), CENTER, scaled(MERCHANTS, self.scale, 10), seed=rng.randint(0, 10**6)
        )
        fields = ("name", "category", "address", "lat", "lng", "phone", "opening_hours")
        merchants = await bounded(
            6,
            (
                api.post(
                    "/api/v1/errand/merchants",
                    admin,
                    {**{k: r[k] for k in fields}, "tags": str(r["tags"]).split(",")},
                )
                for r in rows
            ),
        )
        self.counts["merchants"] = len(merchants)
        await self.errands(merchants, rng)

    async def errands(self, merchants: list[dict[str, Any]], rng: random.Random) -> None:
        api, cast = self.api, self.cast
        couriers = cast.couriers

        async def known(courier: Account) -> bool:
            response = await api.client.put(
                "/api/v1/errand/courier/presence",
                json={"online": True, "lat": CENTER[0], "lng": CENTER[1]},
                headers=courier.headers,
            )
            return response.status_code == 200

        for courier in couriers:
            await eventually(lambda c=courier: known(c), "errand to know the approved couriers")
        # Work shares: one lead runner, two experts, a few regulars, the rest new (levels by points).
        total = scaled(ORDERS, self.scale, 12)
        weights = [60.0, 22.0, 22.0] + [8.0] * 5 + [1.5] * max(0, len(couriers) - 8)
        weights = weights[: len(couriers)]
        plan: dict[int, list[str]] = {i: [] for i in range(len(couriers))}
        # Final states: most completed (rated), some still moving, cancelled, failed, open.
        outcomes = (
            ["completed"] * 70
            + ["delivered"] * 6
            + ["picked_up"] * 3
            + ["arrived"] * 2
            + ["accepted"] * 3
            + ["failed"] * 3
            + ["cancelled_after_accept"] * 3
        )
        open_orders: list[str] = []
        for n in range(total):
            if n % 12 == 5:
                open_orders.append("dispatching")
            elif n % 12 == 9:
                open_orders.append("cancelled")
            else:
                index = rng.choices(range(len(couriers)), weights=weights)[0]
                plan[index].append(rng.choice(outcomes))
        # The couriers below max concurrency: unfinished orders at most 2 each, at the end of their day.
        for jobs in plan.values():
            finished = [
                j for j in jobs if j in ("completed", "delivered", "failed", "cancelled_after_accept")
            ]
            active = [j for j in jobs if j not in finished][:2]
            jobs[:] = finished + active
        requesters = cast.residents
        types = [
            "buy",
            "buy",
            "pickup_parcel",
            "pickup_parcel",
            "deliver",
            "pay_bill",
            "queue",
            "home_service",
        ]

        async def order(requester: Account, rng: random.Random) -> dict[str, Any]:
            kind = rng.choice(types)
            body: dict[str, Any] = {"type": kind, "dropoff": self.place(requester)}
            if kind == "buy":
                shop = rng.choice(merchants)
                body.update(
                    pickup={
                        "building": shop["name"],
                        "detail": shop["address"],
                        "lat": shop["lat"],
                        "lng": shop["lng"],
                    },
                    merchant_id=shop["id"],
                    items=rng.sample(
                        ["鸡蛋一盒", "挂面两把", "酱油", "西红柿两斤", "降压药", "牛奶一箱", "馒头六个"], 2
                    ),
                    weight_kg=round(rng.uniform(0.5, 8), 1),
                )
                if not requester.household or requester.household["has_lift"] is False:
                    body["floors"] = int((requester.household or {}).get("floor", 3))
            elif kind == "pickup_parcel":
                body["pickup"] = {"building": "菜鸟驿站", "lat": CENTER[0] + 0.001, "lng": CENTER[1]}
                body["parcel_code"] = f"{rng.randint(1, 9)}-{rng.randint(1, 6)}-{rng.randint(1000, 9999)}"
            elif kind == "deliver":
                other = rng.choice(requesters)
                body["pickup"] = self.place(requester)
                body["dropoff"] = self.place(other)
            elif kind == "pay_bill":
                body["bill_account"] = str(rng.randint(10**9, 10**10 - 1))
                body["bill_kind"] = rng.choice(["electricity", "gas", "water", "phone"])
            elif kind == "queue":
                body["pickup"] = {"building": "社区卫生服务站", "lat": CENTER[0] - 0.002, "lng": CENTER[1]}
                body["queue_minutes"] = rng.choice([30, 45, 60])
            else:
                start = then().replace(minute=0, second=0, microsecond=0) + timedelta(
                    days=1, hours=rng.randint(1, 8)
                )
                body["time_slot"] = {
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=2)).isoformat(),
                }
                body["service_kind"] = rng.choice(["保洁", "管道疏通", "家电维修"])
            quote = await api.post("/api/v1/errand/quotes", requester, body)
            placed: dict[str, Any] = await api.post(
                "/api/v1/errand/orders",
                requester,
                {"quote_id": quote["quote_id"], "tip_fen": rng.choice([0, 0, 0, 200, 500])},
            )
            return placed

        states: dict[str, int] = {}

        def count(state: str) -> None:
            states[state] = states.get(state, 0) + 1

        async def work(index: int, lane: int, jobs: list[str], rng: random.Random) -> None:
            enter_scope(f"errands/lane/{index}/{lane}")
            courier = couriers[index]
            # Finished orders over the six months, oldest first; the unfinished ones are today's
            # (errand's jobs would expire or auto-confirm an old one).
            finished = sum(j in ("completed", "failed", "cancelled_after_accept") for j in jobs)
            days = iter(sorted(day_ago(self.origin, rng, 0.5, HISTORY_DAYS) for _ in range(finished)))
            for outcome in jobs:
                done = outcome in ("completed", "failed", "cancelled_after_accept")
                happen_at(next(days) if done else None)
                for _ in range(4):
                    requester = rng.choice(requesters)
                    placed = await order(requester, rng)
                    oid = placed["id"]
                    base = f"/api/v1/errand/orders/{oid}"
                    # Accepted within minutes, the busy hours slower (errand's acceptance p50/p90).
                    later(minutes=rng.choice([0.5, 1, 2, 3, 5, 8, 15]) * rng.uniform(0.6, 1.4))
                    # errand's dispatch expiry runs on the real clock: an order placed in the past
                    # may expire before its courier takes it (an expired order, as in real life).
                    taken = await api.post(f"{base}/accept", courier, ok=(200, 201, 409))
                    if not (isinstance(taken, dict) and taken.get("status") == 409):
                        break
                    count("expired")
                    later(minutes=rng.uniform(1, 20))
                if outcome == "cancelled_after_accept":
                    later(minutes=rng.uniform(2, 10))
                    await api.post(f"{base}/cancel", requester, {"reason": "家里人已经买回来了"})
                    count("cancelled")
                    continue
                if outcome == "accepted":
                    count(outcome)
                    continue
                later(minutes=rng.uniform(5, 20))
                await api.post(f"{base}/arrive", courier)
                if outcome == "arrived":
                    count(outcome)
                    continue
                later(minutes=rng.uniform(2, 15))
                await api.post(f"{base}/pickup", courier)
                if outcome == "picked_up":
                    count(outcome)
                    continue
                if outcome == "failed":
                    later(minutes=rng.uniform(5, 30))
                    await api.post(f"{base}/fail", courier, {"reason": "店里没货了，已电话告知"})
                    count(outcome)
                    continue
                later(minutes=rng.uniform(8, 35))
                await api.post(f"{base}/deliver", courier, {"delivery_code": placed["delivery_code"]})
                if outcome == "delivered":
                    count(outcome)
                    continue
                later(minutes=rng.uniform(2, 90))
                await api.post(f"{base}/confirm", requester)
                stars = rng.choices([5, 4, 3, 2], weights=[80, 12, 5, 3])[0]
                comment = {5: "送得很快，态度好", 4: "挺好的", 3: "还行", 2: "送晚了"}[stars]
                later(minutes=rng.uniform(1, 20))
                await api.post(f"{base}/rate", requester, {"stars": stars, "comment": comment})
                count("completed")

        # A busy courier works two orders at a time (two lanes, never more than two held at once,
        # the novice's limit); each lane has its own Random.
        lanes = [
            (index, number, lane, random.Random(rng.getrandbits(64)))
            for index, jobs in plan.items()
            for number, lane in enumerate((jobs[0::2], jobs[1::2]) if len(jobs) > 6 else (jobs,))
        ]
        await asyncio.gather(*(work(*lane) for lane in lanes))
        for outcome in open_orders:
            requester = rng.choice(requesters)
            # Dispatching ones are waiting now; the cancelled ones were called off in the past.
            happen_at(day_ago(self.origin, rng, 1, HISTORY_DAYS) if outcome == "cancelled" else None)
            placed = await order(requester, rng)
            if outcome == "cancelled":
                later(minutes=rng.uniform(1, 10))
                await api.post(
                    f"/api/v1/errand/orders/{placed['id']}/cancel", requester, {"reason": "不需要了"}
                )
            count(outcome)
        self.counts.update({f"orders_{k}": v for k, v in states.items()})

    # -- reports -------------------------------------------------------------------------------------

    async def reports(self, rng: random.Random) -> None:
        api, cast = self.api, self.cast
        categories = {c["code"]: c for c in await api.get("/api/v1/reports/categories", cast.residents[0])}
        texts = {k: v for k, v in REPORT_TEXT.items() if k in categories}
        total = scaled(REPORTS, self.scale, 14)
        # Outcomes where the category lets staff resolve without an after-photo; others stop earlier.
        resolvable = {
            code
            for code, c in categories.items()
            if not c["photo_required"] and c["assignment_mode"] == "assign"
        }
        # Most of six months' reports are closed (the statistics' months); the open ones are the
        # last week's backlog, many of them past their SLA.
        outcomes = (
            ["closed_rated"] * 16
            + ["resolved"] * 3
            + ["reopened"] * 3
            + ["in_progress"] * 3
            + ["paused", "assigned", "assigned", "accepted", "submitted", "submitted"]
            + ["rejected"] * 2
            + ["cancelled"] * 2
        )
        states: dict[str, int] = {}
        reporters = cast.residents

        async def one(n: int) -> None:
            rng = streams[n]
            code = rng.choice(sorted(texts))
            outcome = rng.choice(outcomes)
            if (
                outcome in ("closed_rated", "resolved", "reopened", "in_progress", "paused", "assigned")
                and code not in resolvable
            ):
                # A category staff can resolve without an after-photo carries this life instead.
                choices = sorted(resolvable & set(texts))
                if choices:
                    code = rng.choice(choices)
                else:
                    outcome = "submitted" if n % 2 else "accepted"
            if n < max(2, total // 15):  # left for the SLA to catch: lifts take one hour to accept
                code, outcome = ("lifts" if "lifts" in categories else code), "submitted"
            reporter = reporters[n % len(reporters)]
            home = reporter.household or {"building": "1", "unit": "1", "room": "101"}
            category = categories[code]
            if outcome in ("closed_rated", "rejected", "cancelled"):
                # Spread evenly over the months (a golden-ratio sequence), however few reports.
                days = 3 + (HISTORY_DAYS - 4) * ((n * 0.6180339887) % 1)
                happen_at(day_ago(self.origin, rng, days, days + 1))
            elif outcome == "resolved":  # the reports job closes a resolved one after 48 hours
                happen_at(self.origin - timedelta(hours=rng.uniform(8, 30)))
            else:
                happen_at(self.origin - timedelta(hours=rng.uniform(2, 24 * 6)))
            report = await api.post(
                "/api/v1/reports",
                reporter,
                {
                    "category": code,
                    "location": {"building": home["building"], "unit": home["unit"], "room": home["room"]},
                    "description": rng.choice(texts[code]),
                    "anonymous": code == "noise" and rng.random() < 0.5,
                },
            )
            rid = report["id"]
            base = f"/api/v1/reports/{rid}"
            department = category["department"]
            manager = cast.managers(department)[0] if department in cast.staff else cast.admin
            states[outcome] = states.get(outcome, 0) + 1
            if outcome == "submitted":
                return
            if outcome == "cancelled":
                later(minutes=rng.uniform(5, 120))
                await api.post(f"{base}/cancel", reporter)
                return
            # Accepted mostly within the category's SLA, one in five late (a breach on record).
            if rng.random() < 0.2:
                later(hours=rng.uniform(1.2, 8))
            else:
                later(minutes=rng.uniform(3, 50))
            if outcome == "rejected":
                await api.post(
                    f"{base}/reject",
                    manager,
                    {"reason": "not_responsible", "note": "不属于物业管辖，已告知居民联系相关部门"},
                )
                return
            await api.post(f"{base}/accept", manager, {"note": "已受理"})
            if outcome == "accepted":
                return
            worker = rng.choice(cast.workers(department))
            later(minutes=rng.uniform(5, 40))
            # Staff are known to reports from gateway.role.granted.v1: the first assignments may wait.
            await api.until_ok("POST", f"{base}/assign", manager, {"staff_id": str(worker.id)})
            if outcome == "assigned":
                return
            later(hours=rng.uniform(0.3, 6))
            await api.post(f"{base}/start", worker, {"note": "师傅已上门"})
            if outcome == "paused":
                later(minutes=rng.uniform(10, 90))
                await api.post(f"{base}/pause", worker, {"reason": "等配件到货"})
                return
            if outcome == "in_progress":
                return
            later(hours=rng.uniform(0.5, 30) * (4 if rng.random() < 0.15 else 1))
            await api.post(f"{base}/resolve", worker, {"note": "已修好，请确认"})
            if outcome == "resolved":
                return
            if outcome == "reopened":
                later(hours=rng.uniform(2, 20))
                await api.post(f"{base}/reopen", reporter, {"reason": "第二天又坏了"})
                later(minutes=rng.uniform(10, 60))
                await api.post(f"{base}/assign", manager, {"staff_id": str(worker.id)})
                return
            later(hours=rng.uniform(1, 30))
            await api.post(f"{base}/confirm", reporter)
            good = rng.random() < 0.8
            later(minutes=rng.uniform(1, 30))
            await api.post(
                f"{base}/rate",
                reporter,
                {
                    "overall": 5 if good else 2,
                    "speed": rng.choice([4, 5]) if good else 2,
                    "attitude": 5 if good else 3,
                    "comment": "师傅很负责" if good else "拖了好几天才来",
                },
            )

        streams = [random.Random(rng.getrandbits(64)) for _ in range(total)]
        await bounded(6, (one(n) for n in range(total)))
        self.counts.update({f"reports_{k}": v for k, v in states.items()})

    # -- forum ---------------------------------------------------------------------------------------

    async def forum(self, rng: random.Random) -> None:
        api, cast = self.api, self.cast
        residents = cast.residents

        async def household_known(person: Account) -> bool:
            me = await api.get("/api/v1/forum/me", person)
            return me.get("household_id") is not None and bool(me.get("trust_level", 0) >= 1)

        voters = [p for p in residents if p.household is not None]
        for person in voters[:12]:
            await eventually(lambda p=person: household_known(p), "the forum to know the verified households")

        async def mediator_known() -> bool:
            return bool((await api.get("/api/v1/forum/me", cast.mediators[0])).get("is_mediator"))

        await eventually(mediator_known, "the forum to know the mediators")
        # Who writes what is drawn in order first; the requests then run a few at a time.
        plans: list[tuple[datetime, Account, dict[str, Any], list[tuple[Account, str]]]] = []
        for n in range(scaled(THREADS, self.scale, 6)):
            board, title, body = THREADS_TEXT[n % len(THREADS_TEXT)]
            author = self.poster()
            building = (author.household or {}).get("building")
            if n >= len(THREADS_TEXT):
                title = f"{title}（{n // len(THREADS_TEXT) + 1}）"
            thread = {"board": board, "title": title, "body": self.unique(author, body)}
            if building:
                thread["building"] = building
            replies = []
            for _ in range(rng.randint(0, 4)):
                replier = self.poster()
                replies.append((replier, self.unique(replier, rng.choice(REPLIES))))
            plans.append((day_ago(self.origin, rng, 1, HISTORY_DAYS), author, thread, replies))
        # The complaint bursts: building 2's heating eleven days ago, and building 7's lift from many
        # households since yesterday (the open hotspot).
        bursts = [("2", PAST_BURST, self.origin - timedelta(days=11)), ("7", BURST, self.origin)]
        for building, texts, end in bursts:
            for text in texts:
                author = self.poster()
                thread = {
                    "board": "grievances",
                    "title": text[:12],
                    "body": self.unique(author, text),
                    "building": building,
                }
                plans.append((end - timedelta(hours=rng.uniform(0.2, 18)), author, thread, []))

        async def write(
            at: datetime, author: Account, thread: dict[str, Any], replies: list[tuple[Account, str]]
        ) -> None:
            happen_at(at)
            created = await api.post("/api/v1/forum/threads", author, thread)
            for turn, (replier, text) in enumerate(replies):
                later(hours=0.3 + 2.5 * turn)  # the neighbours answer over the day
                await api.post(f"/api/v1/forum/threads/{created['id']}/posts", replier, {"body": text})

        self.counts["threads"] = len(plans)
        await asyncio.gather(
            bounded(4, (write(*plan) for plan in plans)), self.disputes(rng), self.deliberations(voters)
        )

    async def disputes(self, rng: random.Random) -> None:
        enter_scope("forum/disputes")
        api, cast = self.api, self.cast
        people = [*cast.residents, *cast.couriers]
        pairs = list(itertools.combinations(people, 2))
        rng.shuffle(pairs)
        mediator = cast.mediators[0]
        summaries = [
            "楼上卫生间漏水，渗到我家天花板，协商赔偿未果",
            "邻居在楼道堆放杂物，多次沟通无效",
            "对门装修噪音扰民，说好的时间不遵守",
            "车位被邻居长期占用",
            "楼上空调外机滴水，打在我家窗台上",
            "养狗扰民，夜里叫个不停",
            "阳台晾衣服滴水到楼下",
            "共用走廊的鞋柜归属有争议",
        ]
        targets = [
            "reported",
            "triaged",
            "mediator_proposed",
            "in_mediation",
            "agreement_proposed",
            "monitoring",
            "resolved",
            "withdrawn",
            "escalated",
            "closed_not_dispute",
        ]
        states: dict[str, int] = {}
        # Settled cases months ago, the open ones this week (the forum's jobs act on stale ones).
        settled = {"resolved": 75, "withdrawn": 120, "closed_not_dispute": 40, "escalated": 25}
        for n, target in enumerate(targets):
            # A new complaint between the same two households reopens their case: distinct pairs.
            complainant, respondent = pairs[n % len(pairs)]
            days = settled.get(target, 1 + n % 4)
            happen_at(day_ago(self.origin, rng, days, days + 0.5))
            dispute = await api.post(
                "/api/v1/forum/disputes",
                complainant,
                {
                    "parties": [str(respondent.id)],
                    "summary": summaries[n % len(summaries)],
                    "hide_identity": n % 3 == 0,
                },
            )
            base = f"/api/v1/forum/disputes/{dispute['id']}"
            states[target] = states.get(target, 0) + 1
            if target == "reported":
                continue
            if target == "withdrawn":
                later(days=2)
                await api.post(f"{base}/withdraw", complainant)
                continue
            if target == "closed_not_dispute":
                later(hours=5)
                await api.post(f"{base}/close", mediator, {"reason": "属于物业报修，已转报事"})
                continue
            later(hours=3)
            await api.post(f"{base}/triage", mediator)
            if target == "triaged":
                continue
            later(hours=2)
            await api.post(f"{base}/mediator", mediator, {"mediator_id": str(mediator.id)})
            if target == "mediator_proposed":
                continue
            later(hours=6)
            for party in (complainant, respondent):
                await api.post(f"{base}/mediator/accept", party)
            await api.post(f"{base}/notes", mediator, {"body": "双方情绪较激动，先分开谈，再约时间见面"})
            if target == "in_mediation":
                continue
            if target == "escalated":
                later(days=3)
                await api.post(f"{base}/escalate", mediator, {"to": "committee"})
                continue
            later(days=2)
            due = (then() + timedelta(days=14)).isoformat()
            await api.post(
                f"{base}/agreement",
                mediator,
                {"terms": [{"what": "请维修师傅检查防水并修复", "who": str(respondent.id), "by": due}]},
            )
            if target == "agreement_proposed":
                continue
            later(hours=20)
            for party in (complainant, respondent):
                await api.post(f"{base}/agreement/accept", party)
            await api.post(f"{base}/monitoring", mediator)
            if target == "monitoring":
                continue
            later(days=15)
            await api.post(
                f"{base}/check-ins", mediator, {"outcome": "passed", "note": "回访：已修好，双方满意"}
            )
        self.counts.update({f"disputes_{k}": v for k, v in states.items()})

    async def deliberations(self, voters: list[Account]) -> None:
        enter_scope("forum/deliberations")
        api, cast = self.api, self.cast
        committee = cast.committee[0]
        # A small community policy so the demo's few verified households can carry topics.
        support = min(3, len(voters))
        happen_at(self.origin - timedelta(days=HISTORY_DAYS + 1))  # the policy before any topic
        await api.call(
            "PUT",
            "/api/v1/forum/policy",
            committee,
            {
                "support_threshold": support,
                "window_days": 30,
                "quorum_households": support,
                "pass_ratio": 0.5,
            },
        )
        topics = [
            ("collecting", "小区增设电动车充电桩", "楼道充电太危险，建议在南门空地建集中充电棚"),
            ("screening", "7号楼电梯整体更换", "电梯频繁故障，建议申请维修基金更换电梯"),
            ("rejected", "把绿地改成停车位", "车越来越多，停车难"),
            ("deliberating", "老旧小区加装电梯", "1至6号楼没有电梯，老人上下楼困难"),
            ("voting", "垃圾分类定时定点投放", "早七点到九点、晚六点到八点定点投放"),
            ("acting", "在5号楼门口加装休息椅", "老人买菜回来走不动，希望门口有几把椅子"),
            ("evaluating", "修缮小区北门破损路面", "路面坑洼，下雨积水，老人容易摔倒"),
            ("closed", "楼道安装声控灯", "老楼楼道没有灯，晚上上下楼不安全"),
        ]
        states: dict[str, int] = {}
        # Days ago each topic was proposed: the finished ones weeks back, the open ones days back.
        # Each stage must be reached inside the window of the one before (30 days to collect
        # support): the forum's jobs run on the real clock and would expire an older topic.
        started = {"rejected": 20, "evaluating": 26, "closed": 28}
        for n, (target, title, body) in enumerate(topics):
            proposer = voters[n % len(voters)]
            days = started.get(target, 1 + n % 3)
            happen_at(self.origin - timedelta(days=days, hours=n))
            topic = await api.post("/api/v1/forum/deliberations", proposer, {"title": title, "body": body})
            base = f"/api/v1/forum/deliberations/{topic['id']}"
            states[target] = states.get(target, 0) + 1
            if target == "collecting":
                continue
            later(hours=8)
            for voter in voters[:support]:
                await api.post(f"{base}/supports", voter)
            if target == "screening":
                continue
            if target == "rejected":
                later(hours=12)
                await api.post(
                    f"{base}/screening",
                    committee,
                    {"decision": "reject", "reason": "绿地属于公共绿化，不能改作他用"},
                )
                continue
            later(hours=12)
            await api.post(f"{base}/screening", committee, {"decision": "accept"})
            if target == "deliberating":
                continue
            later(hours=6)
            if target == "voting":
                await api.post(
                    f"{base}/minutes",
                    committee,
                    {
                        "attendees": [v.name for v in voters[:support]],
                        "conclusion": "同意交由全体住户投票",
                        "next": "voting",
                    },
                )
                for voter in voters[: max(1, support - 1)]:
                    await api.post(f"{base}/votes", voter, {"choice": "yes"})
                continue
            await api.post(
                f"{base}/minutes",
                committee,
                {
                    "attendees": [v.name for v in voters[:support]],
                    "conclusion": "议事会一致同意，由物业负责实施",
                    "next": "decided",
                },
            )
            owner = cast.managers("property")[0]
            later(days=2)
            due = (then() + timedelta(days=30)).isoformat()
            await api.post(
                f"{base}/acting",
                committee,
                {"owner_id": str(owner.id), "milestones": [{"title": "采购与安装", "due_at": due}]},
            )
            later(days=1)
            await api.post(f"{base}/progress", owner, {"percent": 40, "note": "已采购，等待安装"})
            if target == "acting":
                continue
            later(days=12)
            await api.post(f"{base}/progress", owner, {"percent": 100, "note": "已完工"})
            later(days=2)
            await api.post(f"{base}/supervision", committee)
            later(days=3)
            await api.post(f"{base}/evaluation", committee)
            for voter in voters[:support]:
                await api.post(f"{base}/ratings", voter, {"stars": 5})
            if target == "closed":
                later(days=7)
                await api.post(f"{base}/conclusion", committee)
        self.counts.update({f"deliberations_{k}": v for k, v in states.items()})


# -- entry points ------------------------------------------------------------------------------------
async def seed_demo(
    gateway_url: str,
    gateway_settings: Any,
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    say: Callable[[str], None] = print,
    http_timeout: float = 30.0,
    demo_secret: str | None = None,
    journal_path: Path | None = None,
    stop_after: int | None = None,
) -> SeedResult:
    """Seed the demo community through the gateway at ``gateway_url`` (see the module docstring).
    ``demo_secret``: the services' WEILINLI_DEMO_TIME_SECRET (default: this process's environment);
    without it the whole history happens now. ``journal_path``: where the progress is kept for a
    resumed run (default: `.var/demo-seed-<gateway database>.jsonl`). ``stop_after``: tests only,
    stop after that many change requests as if the run had been stopped."""
    started = time.monotonic()
    if journal_path is None:
        database = make_url(gateway_settings.database_url.get_secret_value()).database or "gateway"
        journal_path = ROOT / ".var" / f"demo-seed-{database}.jsonl"
    journal = Journal(journal_path)
    # A resumed run goes on with the seed and scale it started with.
    seed = int(journal.get("seed") or seed)
    scale = float(journal.get("scale") or scale)
    if journal.get("seed") is None:
        journal.record("seed", seed)
        journal.record("scale", scale)
    if demo_secret is None:
        demo_secret = os.environ.get(DEMO_SECRET_ENV, "")
    if not demo_secret:
        say(f"{DEMO_SECRET_ENV} is not set: the history happens now, not over six months")
    async with (
        Identity(gateway_settings) as identity,
        httpx.AsyncClient(base_url=gateway_url, timeout=http_timeout) as client,
    ):
        api = Api(client, demo_secret, journal, stop_after)
        result = await Seeder(api, identity, random.Random(seed), scale, say).run()
        result.counts["requests"] = api.requests
    result.seconds = time.monotonic() - started
    return result


def login_lines(result: SeedResult) -> list[str]:
    lines = []
    for account in result.logins:
        lines.append(f"demo-login role={account.role} phone={account.phone} password={DEMO_PASSWORD}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    from gateway.config import Settings

    settings = Settings()
    if settings.environment == "production":
        print("seed_demo: never in production", file=sys.stderr)
        return 1
    result = asyncio.run(seed_demo(args.gateway, settings, scale=args.scale, seed=args.seed))
    print(f"seed_demo: {result.message} ({result.seconds:.1f} s)")
    for line in login_lines(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())

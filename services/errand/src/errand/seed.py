"""Demo data: the merchants of a living circle (docs/contract.md's example community has about 150).

    python -m errand.seed --community <uuid> [--lat 39.9087 --lng 116.3975 --count 150]

Seeding is idempotent per community: a community that already has merchants is left alone.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from errand.adapters.tables import merchants
from errand.config import Settings
from errand.main import MIGRATIONS
from servicekit.db import UnitOfWork, UnitOfWorkFactory, create_engine, session_factory
from servicekit.migrations import migrate

# category -> (shop names seen around Beijing's old compounds, tags, opening hours)
SHOPS: dict[str, tuple[list[str], list[str], str]] = {
    "supermarket": (
        ["物美超市", "华联超市", "超市发", "京客隆", "永辉超市"],
        ["日用品", "粮油", "饮料"],
        "07:30-22:00",
    ),
    "convenience": (
        ["便利蜂", "好邻居便利店", "7-ELEVEn", "全家", "快客便利"],
        ["零食", "饮料", "香烟"],
        "00:00-24:00",
    ),
    "fresh_produce": (
        ["百果园", "钱大妈", "社区菜站", "鲜丰水果", "平价菜店"],
        ["蔬菜", "水果", "鸡蛋"],
        "06:30-21:00",
    ),
    "restaurant": (
        ["庆丰包子铺", "老北京炸酱面", "沙县小吃", "兰州牛肉拉面", "杨国福麻辣烫", "家常菜馆"],
        ["外卖", "午餐", "晚餐"],
        "10:00-21:30",
    ),
    "breakfast": (
        ["早点铺", "煎饼果子摊", "豆浆油条", "护国寺小吃"],
        ["早餐", "豆浆", "包子"],
        "05:30-10:30",
    ),
    "bakery": (["稻香村", "好利来", "味多美", "面包新语"], ["面包", "糕点", "生日蛋糕"], "07:00-21:00"),
    "pharmacy": (
        ["同仁堂药店", "金象大药房", "老百姓大药房", "嘉事堂药店", "永安堂大药房"],
        ["药品", "血压计", "口罩"],
        "08:00-22:00",
    ),
    "hardware": (["五金建材店", "水暖五金", "灯具电料"], ["灯泡", "水龙头", "电池"], "08:00-19:00"),
    "laundry": (["福奈特洗衣", "干洗店", "荣昌洗衣"], ["干洗", "改衣"], "08:30-20:00"),
    "barber": (["理发店", "快剪", "老师傅理发"], ["理发", "老人优惠"], "09:00-21:00"),
    "parcel_station": (
        ["菜鸟驿站", "京东快递站", "丰巢快递柜", "邮政代办点"],
        ["快递代收", "寄件"],
        "08:00-21:00",
    ),
    "repair": (["家电维修部", "修鞋配钥匙", "手机维修", "自行车修理"], ["维修", "配钥匙"], "08:30-19:00"),
    "home_service": (["家政服务中心", "保洁到家", "管道疏通"], ["保洁", "保姆", "疏通"], "08:00-20:00"),
    "clinic": (["社区卫生服务站", "中医诊所", "口腔诊所"], ["看病", "测血压"], "08:00-17:00"),
    "utilities": (
        ["国家电网缴费点", "燃气营业厅", "自来水缴费处", "电信营业厅"],
        ["缴费", "电费", "燃气费"],
        "09:00-17:00",
    ),
}
# How common each kind of shop is in an old residential area.
WEIGHTS = {
    "supermarket": 8,
    "convenience": 14,
    "fresh_produce": 14,
    "restaurant": 30,
    "breakfast": 10,
    "bakery": 6,
    "pharmacy": 10,
    "hardware": 6,
    "laundry": 5,
    "barber": 8,
    "parcel_station": 8,
    "repair": 7,
    "home_service": 5,
    "clinic": 4,
    "utilities": 5,
}
STREETS = ["西四北大街", "新街口南大街", "赵登禹路", "平安里西大街", "护国寺街", "西直门内大街"]


def demo_merchants(
    community_id: uuid.UUID, center: tuple[float, float], count: int, seed: int = 7
) -> list[dict[str, object]]:
    rng = random.Random(seed)
    categories = list(WEIGHTS)
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    names: set[str] = set()
    while len(rows) < count:
        category = rng.choices(categories, weights=[WEIGHTS[c] for c in categories])[0]
        brands, tags, hours = SHOPS[category]
        street = rng.choice(STREETS)
        number = rng.randint(1, 180)
        name = f"{rng.choice(brands)}({street.removesuffix('大街').removesuffix('街').removesuffix('路')}店)"
        if name in names:
            name = f"{name[:-2]}{number}号店)"
        if name in names:
            continue
        names.add(name)
        # Spread evenly over the 450 m disc around the community centre.
        distance, bearing = 450 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = center[0] + distance * math.cos(bearing) / 111_320
        lng = center[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(center[0])))
        rows.append(
            {
                "id": uuid.uuid4(),
                "community_id": community_id,
                "name": name,
                "category": category,
                "address": f"{street}{number}号",
                "lat": round(lat, 6),
                "lng": round(lng, 6),
                "phone": f"010-{rng.randint(6000_0000, 8999_9999)}",
                "opening_hours": hours,
                "tags": ",".join(tags),
                "created_at": now,
            }
        )
    return rows


async def seed_merchants(
    uow: UnitOfWork, community_id: uuid.UUID, *, center: tuple[float, float], count: int = 150
) -> int:
    """Insert ``count`` demo merchants unless the community already has some; returns how many."""
    existing = (
        await uow.session.execute(
            select(func.count()).select_from(merchants).where(merchants.c.community_id == community_id)
        )
    ).scalar_one()
    if existing:
        return 0
    rows = demo_merchants(community_id, center, count)
    await uow.session.execute(insert(merchants), rows)
    await uow.commit()
    return len(rows)


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    # Like the gateway's CLI: usable before the service ever ran (creates and migrates its database).
    await migrate(settings, MIGRATIONS)
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        uows = UnitOfWorkFactory(session_factory(engine), producer=settings.service_name)
        async with uows() as uow:
            created = await seed_merchants(uow, args.community, center=(args.lat, args.lng), count=args.count)
    finally:
        await engine.dispose()
    print(f"seeded {created} merchants for community {args.community}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m errand.seed", description=__doc__)
    parser.add_argument("--community", type=uuid.UUID, required=True)
    parser.add_argument("--lat", type=float, default=39.9087)
    parser.add_argument("--lng", type=float, default=116.3975)
    parser.add_argument("--count", type=int, default=150)
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())

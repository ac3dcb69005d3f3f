"""A synthetic, labelled community corpus: months of ordinary chatter with planted bursts."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")

CHATTER = [
    "今天天气不错，带孩子去楼下花园转了转",
    "谁家有多余的纸箱子，搬家用一下",
    "周末社区有义诊活动，老人可以去量血压",
    "求推荐附近靠谱的家电维修师傅",
    "菜市场的西红柿今天特别新鲜",
    "捡到一把钥匙，放在门卫室了",
    "有没有一起拼车去火车站的",
    "孩子的自行车找不到了，蓝色的，谁看到了说一声",
    "小区门口新开了一家面包店，味道还行",
    "晚上在花园散步的人挺多的",
    "物业费什么时候开始交",
    "快递柜满了，快递员放在门口了",
    "电梯有点慢，等了好久",
    "停车位不够用，晚上回来找不到地方",
    "有人家里的宠物狗晚上一直叫",
    "垃圾分类的桶今天换了新的",
    "谁家有梯子借用一下，换个灯泡",
    "楼下的健身器材有一个坏了",
    "想找个阿姨做饭，有推荐的吗",
    "社区图书角新到了一批书",
]

# Planted topics: (keyword, texts a burst is made of).
PLANTED = {
    "广场舞": [
        "广场舞音乐太吵了，晚上十点还在跳",
        "楼下广场舞音响声音太大，孩子睡不着",
        "广场舞能不能换个地方",
    ],
    "飞线充电": [
        "又看到有人从窗户飞线充电，太危险了",
        "飞线充电的电线挂在楼道里",
        "举报飞线充电，电动车在楼下充",
    ],
    "暖气": ["暖气不热，家里才十六度", "我家暖气也是凉的，物业管管吧", "暖气片一点温度都没有"],
    "楼道灯": ["楼道灯坏了好几天了，晚上黑漆漆的", "三楼楼道灯不亮", "楼道灯什么时候修"],
    "漏水": ["楼上漏水，天花板都湿了", "卫生间顶上漏水", "漏水把墙皮泡掉了"],
    "高空抛物": ["又有人高空抛物，差点砸到人", "高空抛物太吓人了", "查一查高空抛物的是哪家"],
    "油烟": ["一楼饭店的油烟熏得窗户都不敢开", "油烟味太重了", "油烟机直接往楼道排"],
}


@dataclass(frozen=True)
class Planted:
    keyword: str
    building: str
    start: date
    size: int


def generate(
    seed: int, *, buildings: int = 18, days: int = 120, first_day: date = date(2026, 1, 1)
) -> tuple[list[dict[str, str]], list[Planted]]:
    """Ordinary chatter at a few posts per building per day, plus planted bursts of 8 to 30
    posts over one to three days, at least two weeks apart per building, none in the first
    month (a keyword needs a baseline)."""
    rng = random.Random(seed)
    names = [f"{n}号楼" for n in range(1, buildings + 1)]
    lines: list[dict[str, str]] = []
    planted: list[Planted] = []

    def post(building: str, day: date, text: str) -> None:
        moment = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), ZONE)
        lines.append({"at": moment.isoformat(), "building": building, "text": text})

    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for building in names:
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
                post(building, day, rng.choice(CHATTER))
            # Background grumbling about planted topics at their usual low rate.
            if rng.random() < 0.08:
                keyword = rng.choice(list(PLANTED))
                post(building, day, rng.choice(PLANTED[keyword]))
    for building in names:
        offset = 30 + rng.randrange(10)
        while offset < days - 3:
            keyword = rng.choice(list(PLANTED))
            size = rng.choice([8, 10, 14, 20, 30])
            span = rng.choice([1, 2, 3])
            start = first_day + timedelta(days=offset)
            for i in range(size):
                post(building, start + timedelta(days=i % span), rng.choice(PLANTED[keyword]))
            planted.append(Planted(keyword, building, start, size))
            offset += 14 + rng.randrange(20)
    rng.shuffle(lines)
    return lines, planted


def to_jsonl(lines: list[dict[str, str]]) -> str:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"

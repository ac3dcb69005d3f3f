"""A realistic, labelled community corpus for the hotspot detector (seeded, reproducible).

One community of 18 buildings over some months (~123 posts a day, as 5,700 residents write
about 45,000 a year): chatter full of filler (谁家, 社区, 哪里 ...), each complaint topic
grumbled about at its usual low rate in every building (about once a month, sometimes with a
neighbour's reply on the same day; heating several times a month in the heating season), and
decoys: the day the heating comes on every building thanks the property, festival greeting
floods (National Day, Mid-Autumn, New Year, Spring Festival, Lantern), and a lift-inspection
notice in every building. Planted bursts: 2 to 4 posts a day for 2 to 4 days in one building on
one topic (lifts, leaks from upstairs, renovation noise, rubbish, rats, parking, heating in
season), each post written from varied phrasings, some in traditional characters, some with a
typo or homophone. Used by `bench/hotspots.py` and the tests (a smaller one).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import opencc

ZONE = ZoneInfo("Asia/Shanghai")
_S2T = opencc.OpenCC("s2t")

# Topic -> phrasings of a complaint (each post joins one or two, with an opener and a closer).
TOPICS: dict[str, list[str]] = {
    "电梯": [
        "电梯又坏了",
        "电梯停了一上午",
        "电梯里困人了，等了二十分钟才有人来",
        "电梯门关不上",
        "升降梯一直发出异响",
        "电梯卡在五楼不动了",
        "今天又被困在电梯里",
        "电梯坏了老人只能爬楼",
        "电梯按钮失灵",
    ],
    "漏水": [
        "楼上漏水，天花板一直往下滴",
        "卫生间顶上渗水",
        "天花板滴水，墙皮都泡坏了",
        "楼上家水管爆了，我家天花板湿了一大片",
        "厨房吊顶在滴水",
        "墙角渗水发霉了",
        "楼上漏水好几天了也找不到人",
    ],
    "装修": [
        "楼上装修电钻从早响到晚",
        "隔壁砸墙砸了一整天",
        "装修噪音太大了，中午都不停",
        "早上七点就开始冲击钻",
        "周末也在敲墙，受不了",
        "装修的切割机声音吵得头疼",
        "楼下装修一直在打孔",
    ],
    "垃圾": [
        "垃圾桶满了没人清运",
        "垃圾站臭气熏天",
        "楼下垃圾两天没人收了",
        "垃圾堆在单元门口发臭",
        "垃圾房苍蝇到处飞",
        "垃圾桶旁边全是垃圾袋",
    ],
    "老鼠": [
        "楼道里有老鼠跑来跑去",
        "家里进了耗子，把电线都咬坏了",
        "垃圾桶边上好几只老鼠",
        "晚上看到老鼠从下水口钻出来",
        "一楼鼠患太严重了",
    ],
    "停车": [
        "车位被外来车占了",
        "有人乱停把消防车道堵了",
        "车库出口被堵住车出不去",
        "每天晚上都找不到车位",
        "我的车位又被占了，打电话也不挪车",
        "门口乱停车，人都过不去",
    ],
    "暖气": [
        "暖气不热，家里才十五度",
        "暖气片是凉的",
        "供暖到现在家里还是冷",
        "地暖一点都不热，老人冻得受不了",
        "暖气又不热了，孩子感冒了",
        "屋里冷得要穿羽绒服",
    ],
}
OPENERS = ["", "", "", "各位邻居，", "有没有人知道，", "求助：", "物业看一下，", "又来了，", "说一下，"]
CLOSERS = [
    "",
    "",
    "",
    "。物业什么时候来处理？",
    "，谁来管管啊",
    "，大家家里也这样吗？",
    "，已经打过电话了",
    "，太影响休息了",
    "。希望尽快解决",
]
# After simplification the detector must read these as the word meant.
TYPOS = {
    "电梯": "电悌",
    "噪音": "躁音",
    "垃圾": "拉圾",
    "老鼠": "老属",
    "装修": "装秀",
    "暖气": "暧气",
    "渗水": "渗氺",
}

CHATTER = [
    "谁家有多余的纸箱子，搬家用一下",
    "社区周末有义诊活动，老人可以去量血压",
    "哪里有靠谱的家电维修师傅？",
    "菜市场的西红柿今天特别新鲜",
    "捡到一把钥匙，放在门卫室了",
    "有没有一起拼车去火车站的",
    "谁家孩子的蓝色自行车落在花园了",
    "小区门口新开了一家面包店，味道还行",
    "社区图书角新到了一批书，哪里借都行",
    "想找个阿姨做饭，有推荐的吗",
    "谁家有梯子借用一下，换个灯泡",
    "社区的老年大学开始报名了",
    "哪里可以修自行车？",
    "谁家的猫跑丢了，橘色的，看到说一声",
    "转让一个婴儿车，九成新",
    "社区团购的水果到了，在门卫室取",
    "今天天气不错，带孩子去花园转了转",
    "请问社区医院周末开门吗",
    "有没有人一起跳绳锻炼",
    "谁家在做红烧肉，好香啊",
    "社区志愿者招募，周六上午帮忙",
    "哪里能打印文件？",
    "快递放错了，谁家的请来取",
    "楼下的花开得真好看",
    "有人知道哪家幼儿园还有名额吗",
]
PRAISE_HEATING = [
    "暖气来了，家里好暖和，谢谢物业",
    "今年暖气真给力，点赞",
    "供暖第一天就很热乎，感谢师傅们",
    "暖气很舒服，物业辛苦了",
    "家里暖和了，谢谢大家的努力",
]
GREETINGS = [
    "祝各位邻居{f}快乐，阖家幸福",
    "{f}快乐！身体健康，万事如意",
    "给大家拜个早年，{f}快乐",
    "{f}到了，祝邻居们团圆安康",
    "各位{f}快乐呀",
]
NOTICE_LIFT = ["今天电梯年检，请大家走楼梯", "电梯年检通知：上午暂停使用"]


def festivals(first: date, last: date) -> list[tuple[date, str]]:
    days = [
        (date(2025, 10, 1), "国庆节"),
        (date(2025, 10, 6), "中秋节"),
        (date(2026, 1, 1), "元旦"),
        (date(2026, 2, 16), "除夕"),
        (date(2026, 2, 17), "春节"),
        (date(2026, 3, 3), "元宵节"),
        (date(2026, 6, 19), "端午节"),
        (date(2026, 9, 25), "中秋节"),
        (date(2026, 10, 1), "国庆节"),
    ]
    return [(d, f) for d, f in days if first <= d <= last]


def heating_season(day: date) -> bool:
    return (day.month, day.day) >= (11, 15) or (day.month, day.day) <= (3, 15)


@dataclass(frozen=True)
class Planted:
    topic: str
    building: str
    start: date
    days: int
    per_day: tuple[int, ...]

    @property
    def end(self) -> date:  # exclusive
        return self.start + timedelta(days=self.days)


@dataclass(frozen=True)
class Corpus:
    lines: list[dict[str, str]]
    planted: list[Planted]
    first_day: date
    days: int
    buildings: int

    def jsonl(self) -> list[str]:
        return [json.dumps(line, ensure_ascii=False) for line in self.lines]


def generate(
    seed: int,
    *,
    first_day: date = date(2025, 10, 1),
    days: int = 182,
    buildings: int = 18,
    bursts: int = 14,
    posts_per_day: int = 123,
    traditional: float = 0.3,
    typo: float = 0.15,
    background_per_month: float = 1.0,
    decoys: bool = True,
) -> Corpus:
    rng = random.Random(seed)
    names = [f"{n}号楼" for n in range(1, buildings + 1)]
    lines: list[dict[str, str]] = []

    def post(building: str, day: date, text: str) -> None:
        moment = datetime.combine(day, time(rng.randrange(6, 23), rng.randrange(60)), ZONE)
        lines.append({"at": moment.isoformat(), "building": building, "text": text})

    def complaint(topic: str) -> str:
        parts = rng.sample(TOPICS[topic], rng.choice([1, 1, 2]))
        text = rng.choice(OPENERS) + "，".join(parts) + rng.choice(CLOSERS)
        if rng.random() < typo:
            for right, wrong in TYPOS.items():
                if right in text:
                    text = text.replace(right, wrong, 1)
                    break
        if rng.random() < traditional:
            text = str(_S2T.convert(text))
        return text

    chatter_per_building = max(0.0, posts_per_day / buildings - 0.4)
    last = first_day + timedelta(days=days - 1)
    festival_days = dict(festivals(first_day, last))
    heating_start = next(
        (
            first_day + timedelta(days=i)
            for i in range(days)
            if (first_day + timedelta(days=i)).timetuple()[1:3] == (11, 16)
        ),
        None,
    )
    inspection = first_day + timedelta(days=days // 3)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for building in names:
            for _ in range(_poisson(rng, chatter_per_building)):
                post(building, day, rng.choice(CHATTER))
            for topic in TOPICS:
                rate = background_per_month / 30
                if topic == "暖气":
                    rate = rate * 3 if heating_season(day) else 0.0
                if rng.random() < rate:
                    post(building, day, complaint(topic))
                    if rng.random() < 0.2:  # a neighbour answers the same day
                        post(building, day, complaint(topic))
            if not decoys:
                continue
            if day in festival_days:
                for _ in range(rng.randint(3, 8)):
                    post(building, day, rng.choice(GREETINGS).format(f=festival_days[day]))
            if day == heating_start:
                for _ in range(rng.randint(3, 6)):
                    post(building, day, rng.choice(PRAISE_HEATING))
            if day == inspection:
                for _ in range(rng.randint(1, 2)):
                    post(building, day, rng.choice(NOTICE_LIFT))
    planted = _plant(rng, names, first_day, days, bursts)
    for burst in planted:
        for i, count in enumerate(burst.per_day):
            for _ in range(count):
                post(burst.building, burst.start + timedelta(days=i), complaint(burst.topic))
    lines.sort(key=lambda line: line["at"])
    return Corpus(lines, planted, first_day, days, buildings)


def _plant(rng: random.Random, names: list[str], first_day: date, days: int, bursts: int) -> list[Planted]:
    """Bursts spread over the period (the first week included: a new community is not blind),
    at least three weeks apart in one building, heating only in its season."""
    planted: list[Planted] = []
    attempts = 0
    while len(planted) < bursts and attempts < 10_000:
        attempts += 1
        span = rng.choice([2, 2, 3, 4])
        start = first_day + timedelta(days=rng.randrange(0, days - span))
        topic = rng.choice(list(TOPICS))
        if topic == "暖气" and not heating_season(start):
            continue
        building = rng.choice(names)
        if any(p.building == building and abs((p.start - start).days) < 21 for p in planted):
            continue
        if any(p.start == start for p in planted):
            continue
        per_day = tuple(rng.choice([2, 2, 3, 3, 4]) for _ in range(span))
        planted.append(Planted(topic, building, start, span, per_day))
    planted.sort(key=lambda p: (p.start, p.building))
    return planted


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: small means only.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


FILLER = frozenset(
    ("谁家", "社区", "哪里", "小区", "有没有", "请问", "邻居", "大家", "物业", "今天", "晚上", "哪家", "有人")
)


@dataclass(frozen=True)
class Score:
    planted: int
    found: int  # hotspots raised
    caught: int  # planted bursts with a hotspot
    false_alarms: int  # hotspots that are no planted burst
    filler: int  # hotspots named by a filler word
    delays: list[int]  # days from a burst's first day to the day it could be raised
    building_months: float

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return (self.found - self.false_alarms) / self.found if self.found else 1.0

    @property
    def false_alarms_per_building_month(self) -> float:
        return self.false_alarms / self.building_months

    @property
    def median_delay(self) -> float:
        ordered = sorted(self.delays)
        if not ordered:
            return float("nan")
        middle = len(ordered) // 2
        return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def score(found: list[tuple[str, tuple[str, ...], str | None, date, date]], corpus: Corpus) -> Score:
    """`found`: (keyword, related keywords, building, window start, day raised) per hotspot. A
    hotspot catches a planted burst of its building whose topic it names (or lists as related)
    and whose days it overlaps (three days of slack before: a window may reach back)."""
    caught: dict[Planted, int] = {}
    false_alarms = filler = 0
    for keyword, related, building, start, raised in found:
        hits = [
            p
            for p in corpus.planted
            if p.building == building
            and (p.topic == keyword or p.topic in related)
            and p.start - timedelta(days=3) <= start < p.end
        ]
        if not hits:
            false_alarms += 1
            filler += keyword in FILLER
        for p in hits:
            delay = (raised - p.start).days
            caught[p] = min(caught.get(p, delay), delay)
    return Score(
        planted=len(corpus.planted),
        found=len(found),
        caught=len(caught),
        false_alarms=false_alarms,
        filler=filler,
        delays=sorted(caught.values()),
        building_months=corpus.buildings * corpus.days / 30,
    )

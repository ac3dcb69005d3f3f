"""The categories every community starts with: an old residential community's usual troubles.

Each is routed to the department that works it (docs/contract.md): the property company, the heating
company, community police (社区民警), urban management (城管) or the committee. SLA hours follow
what property offices of such communities promise: safety first, heating in winter next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Department = Literal["property", "heating", "police", "urban_management", "committee"]
AssignmentMode = Literal["assign", "grab"]
DEPARTMENTS: tuple[Department, ...] = ("property", "heating", "police", "urban_management", "committee")

FALLBACK_CATEGORY = "other"


@dataclass(frozen=True)
class CategorySeed:
    code: str
    name_zh: str
    name_en: str
    name_ko: str
    department: Department
    sla_accept_hours: int
    sla_resolve_hours: int
    photo_required: bool
    public_area_default: bool
    assignment_mode: AssignmentMode


SEEDS: tuple[CategorySeed, ...] = (
    CategorySeed(
        "stairwell_lighting",
        "楼道照明",
        "Stairwell lighting",
        "계단 조명",
        "property",
        4,
        48,
        True,
        True,
        "grab",
    ),
    CategorySeed("heating", "供暖不热", "Heating", "난방", "heating", 2, 24, False, False, "assign"),
    CategorySeed(
        "water_drains",
        "水管下水",
        "Water and drains",
        "수도 및 배수",
        "property",
        2,
        24,
        True,
        False,
        "assign",
    ),
    CategorySeed(
        "walls_roofs",
        "墙面屋顶渗漏",
        "Walls and roofs",
        "벽 및 지붕",
        "property",
        8,
        168,
        True,
        True,
        "assign",
    ),
    CategorySeed("lifts", "电梯故障", "Lifts", "엘리베이터", "property", 1, 12, False, True, "assign"),
    CategorySeed(
        "sanitation",
        "环境卫生垃圾",
        "Sanitation and garbage",
        "위생 및 쓰레기",
        "property",
        4,
        24,
        True,
        True,
        "grab",
    ),
    CategorySeed(
        "parking_ebikes",
        "停车与电动车",
        "Parking and e-bikes",
        "주차 및 전기자전거",
        "property",
        8,
        72,
        True,
        True,
        "grab",
    ),
    CategorySeed(
        "ebike_charging_hazard",
        "电动车违规充电",
        "E-bike charging hazard",
        "전기자전거 불법 충전",
        "police",
        1,
        12,
        True,
        True,
        "assign",
    ),
    CategorySeed(
        "safety_hazard", "安全隐患", "Safety hazards", "안전 위험", "police", 1, 24, True, True, "assign"
    ),
    CategorySeed("noise", "噪音扰民", "Noise", "소음", "police", 4, 48, False, True, "assign"),
    CategorySeed(
        "unlicensed_vendors",
        "占道经营",
        "Unlicensed vendors",
        "무허가 노점",
        "urban_management",
        8,
        72,
        True,
        True,
        "grab",
    ),
    CategorySeed(
        "illegal_construction",
        "私搭乱建",
        "Illegal construction",
        "불법 건축",
        "urban_management",
        24,
        336,
        True,
        True,
        "assign",
    ),
    CategorySeed("greenery", "绿化养护", "Greenery", "녹지 관리", "property", 24, 168, False, True, "grab"),
    CategorySeed(
        "neighbour_matters",
        "邻里事务",
        "Neighbourhood matters",
        "이웃 문제",
        "committee",
        24,
        168,
        False,
        True,
        "assign",
    ),
    CategorySeed(FALLBACK_CATEGORY, "其他", "Other", "기타", "property", 8, 72, False, False, "assign"),
)

"""What residents mean, not only what they type: one lexicon for hotspots and search.

- **Normalisation**: traditional characters become simplified (OpenCC `t2s`), full-width forms
  half-width (NFKC), Latin letters lower case, and common typos and homophones (躁音, 电悌, 拉圾)
  the word residents meant. Both the stored search tokens and the queries go through it.
- **Topics**: a topic is one problem under one name (电梯); its *synonyms* say the same thing
  (升降梯) and widen a search; its *related* words speak of the problem without naming it
  (困人, 天花板滴水, 电钻) and count towards the topic's hotspot, not towards a search.
- **Stop words**: filler and function words (谁家, 社区, 哪里) are never a hotspot.
- **Tone**: complaint, praise, greeting or neutral, by a small cue lexicon, so that a praise day
  or a festival greeting flood is not a complaint burst.

A community extends the built-in lexicon (entries stored per community in the forum database,
edited by the committee); `Lexicon.extended(entries)` is the lexicon that community speaks.
Plain Python apart from OpenCC (a C++ converter with its own dictionaries, shipped in its wheel).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import opencc

_T2S = opencc.OpenCC("t2s")


class EntryKind(StrEnum):
    SYNONYM = "synonym"  # the same as the topic's name: searches and hotspots
    RELATED = "related"  # speaks of the topic's problem: hotspots only
    TYPO = "typo"  # a misspelling: `topic` is the word meant
    STOP = "stop"  # never a hotspot


class Tone(StrEnum):
    COMPLAINT = "complaint"
    NEUTRAL = "neutral"
    PRAISE = "praise"
    GREETING = "greeting"


@dataclass(frozen=True)
class Entry:
    word: str
    kind: EntryKind
    topic: str | None = None


# name: (synonyms, related words). Names are what a hotspot is called; report categories map here.
BUILTIN_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "电梯": (
        ("电梯", "升降梯", "直梯", "电梯故障"),
        ("困人", "被困", "关在电梯", "电梯停运", "电梯异响", "电梯门", "电梯坏", "电梯又坏"),
    ),
    "漏水": (
        ("漏水", "渗水", "滴水", "渗漏", "漏雨"),
        ("天花板湿", "天花板发霉", "墙皮脱落", "水渍", "往下滴", "爆管", "水管爆", "洇水", "泡坏"),
    ),
    "装修": (
        ("装修", "装修噪音"),
        ("电钻", "冲击钻", "砸墙", "敲墙", "拆墙", "敲敲打打", "切割机", "钻墙", "打孔"),
    ),
    "噪音": (("噪音", "噪声", "扰民", "吵闹"), ("太吵", "吵死", "吵得", "声音太大", "音响")),
    "垃圾": (
        ("垃圾", "垃圾桶", "垃圾站", "垃圾分类", "垃圾房"),
        ("没人清运", "清运", "臭气熏天", "发臭", "苍蝇"),
    ),
    "老鼠": (("老鼠", "耗子", "鼠患"), ("鼠洞", "灭鼠", "鼠药", "鼠夹")),
    "停车": (
        ("停车", "停车位", "车位", "停车场"),
        ("乱停", "占车位", "堵车库", "挡住出口", "堵住车", "车被堵", "挪车"),
    ),
    "暖气": (("暖气", "供暖", "暖气片", "采暖", "地暖"), ("不供热", "屋里冷", "家里冷", "冻得")),
    "楼道灯": (("楼道灯", "声控灯", "感应灯", "楼梯灯"), ()),
    "飞线充电": (("飞线充电", "私拉电线", "拉线充电"), ("电线从窗户",)),
    "广场舞": (("广场舞",), ()),
    "高空抛物": (("高空抛物",), ("往楼下扔", "从楼上扔", "楼上扔")),
    "油烟": (("油烟", "油烟味"), ("油烟机",)),
    "停水": (("停水", "水压低", "没水"), ("水压",)),
    "停电": (("停电", "跳闸"), ()),
    "下水道": (("下水道", "化粪池"), ("返水", "马桶堵", "地漏返味", "下水堵")),
    "宠物": (("宠物狗", "狗屎", "狗粪"), ("狗叫", "遛狗不牵绳", "不拴绳")),
    "高考": (("高考", "高考生"), ()),
    "门禁": (("门禁", "门禁卡"), ()),
    "快递柜": (("快递柜",), ()),
    "绿化带": (("绿化带", "绿化"), ()),
    "健身器材": (("健身器材",), ()),
    "监控": (("监控", "摄像头"), ()),
    "消防通道": (("消防通道",), ()),
    "群租": (("群租", "群租房"), ()),
    "违建": (("违建", "违章搭建"), ()),
    "安全隐患": (("安全隐患",), ()),
    "物业费": (("物业费",), ()),
    "蚊虫": (("蚊虫", "蚊子"), ()),
    "占道": (("占道", "占道经营", "小摊贩"), ()),
}

# Misspelling or homophone (after conversion to simplified) -> the word meant.
BUILTIN_TYPOS: dict[str, str] = {
    "电悌": "电梯",
    "电剃": "电梯",
    "躁音": "噪音",
    "燥音": "噪音",
    "澡音": "噪音",
    "躁声": "噪声",
    "暧气": "暖气",
    "楼到灯": "楼道灯",
    "漏氺": "漏水",
    "渗氺": "渗水",
    "拉圾": "垃圾",
    "垃级": "垃圾",
    "辣鸡桶": "垃圾桶",
    "老属": "老鼠",
    "停车为": "停车位",
    "装侈": "装修",
    "装秀": "装修",
    "冲击转": "冲击钻",
    "扰明": "扰民",
    "油咽": "油烟",
    "广场午": "广场舞",
    "高空抛吻": "高空抛物",
    "下水到": "下水道",
    "天化板": "天花板",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BUILTIN_STOPWORDS = _words(
    """
    我们 你们 他们 她们 大家 这个 那个 这些 那些 什么 怎么 怎么办 为什么 就是 还是 但是 因为 所以 如果
    已经 可以 没有 不是 一下 一个 今天 昨天 明天 前天 现在 刚才 时候 真的 感觉 觉得 希望 谢谢 请问
    有没有 一直 这么 那么
    还有 自己 知道 问题 情况 邻居 小区 社区 业主 物业 楼上 楼下 一起 一点 这样 那样 非常 比较 这里 那里 哪里
    哪儿 哪个 哪家 谁家 谁的 有人 有谁 应该 需要 能不能 好像 不过 而且 然后 一样 看到 出来 起来 东西 事情
    晚上 早上 上午 下午 中午 半夜 凌晨 周末 最近 好久 几天 好几天 每天 一天 两天 号楼 单元 楼层 门口 家里
    我家 你家 他家 人家 住户 居民 师傅 阿姨 大爷 大妈 孩子 老人 朋友 麻烦 帮忙 求助 问问 一声 说说 看看
    物业公司 管理处 居委会 电话 联系 回复 处理 解决 反映 大伙 各位 谢谢大家 辛苦 不知道 是不是 有点
    """
)

# Tone cues (simplified). A text with more complaint cues than praise cues is a complaint.
COMPLAINT_CUES = (
    "坏", "不亮", "不热", "不动", "不通", "不转", "漏", "渗", "滴", "湿", "霉", "吵", "臭", "堵", "困", "又",
    "还没", "还不", "一直", "好几天", "投诉", "受不了", "没人管", "谁来管", "管管", "什么时候修", "危险",
    "差点", "严重", "影响", "睡不着", "怎么回事", "烦", "脏", "乱", "冷", "凉", "异响", "故障", "卡住",
    "扰民", "噪音", "噪声", "老鼠", "砸", "电钻", "停运", "没人", "不管", "太", "求求", "崩溃", "无语",
    "隐患", "满了", "爆", "抢", "占", "挡", "咬", "举报", "熏", "不敢", "呛", "担心", "害怕", "能不能",
    "停了",
    "怎么还",
)  # fmt: skip
PRAISE_CUES = (
    "谢谢", "感谢", "点赞", "好评", "辛苦了", "给力", "暖和", "热乎", "舒服", "满意", "修好了", "已修好",
    "恢复了", "及时", "开心", "真好", "很好", "真棒", "干净了", "赞",
)  # fmt: skip
GREETING_CUES = (
    "快乐", "过年好", "新年好", "拜年", "恭喜发财", "阖家", "安康", "节日", "春节", "中秋", "元宵",
    "端午", "国庆", "除夕", "团圆", "万事如意", "身体健康",
)  # fmt: skip

# Topics that are a complaint whatever the wording (a post about 油烟 is no praise of it).
NEGATIVE_TOPICS = _words(
    "漏水 噪音 老鼠 飞线充电 高空抛物 油烟 停水 停电 下水道 违建 群租 安全隐患 占道 蚊虫 装修"
)
# Topics that say how a problem is felt rather than what it is: a hotspot about 装修 that is
# also about 噪音 is named 装修.
GENERIC_TOPICS = frozenset({"噪音"})

_CJK_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")
MAX_WORD = 16


def valid_word(word: str) -> bool:
    """An entry word: 1 to 16 letters or CJK characters (digits after the first)."""
    return 0 < len(word) <= MAX_WORD and bool(_CJK_WORD.match(word))


def to_simplified(text: str) -> str:
    return str(_T2S.convert(text))


@dataclass(frozen=True)
class Lexicon:
    topics: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=lambda: BUILTIN_TOPICS
    )
    typos: Mapping[str, str] = field(default_factory=lambda: BUILTIN_TYPOS)
    stopwords: frozenset[str] = BUILTIN_STOPWORDS

    # --- building -----------------------------------------------------------------------------
    def extended(self, entries: Iterable[Entry]) -> Lexicon:
        """This lexicon with a community's own entries (a word the community files under another
        topic moves there)."""
        entries = list(entries)
        if not entries:
            return self
        topics = {name: (list(syn), list(rel)) for name, (syn, rel) in self.topics.items()}
        typos = dict(self.typos)
        stop = set(self.stopwords)
        for entry in entries:
            word = self.normalise(entry.word)
            if entry.kind is EntryKind.STOP:
                stop.add(word)
                continue
            if entry.kind is EntryKind.TYPO:
                typos[to_simplified(unicodedata.normalize("NFKC", entry.word)).lower()] = self.normalise(
                    entry.topic or ""
                )
                continue
            topic = self.normalise(entry.topic or word)
            for syn, rel in topics.values():
                for words in (syn, rel):
                    if word in words:
                        words.remove(word)
            syn, rel = topics.setdefault(topic, ([topic], []))
            (syn if entry.kind is EntryKind.SYNONYM else rel).append(word)
        return Lexicon(
            topics={name: (tuple(syn), tuple(rel)) for name, (syn, rel) in topics.items()},
            typos=typos,
            stopwords=frozenset(stop),
        )

    @cached_property
    def _typo_pattern(self) -> re.Pattern[str] | None:
        if not self.typos:
            return None
        words = sorted(self.typos, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)))

    @cached_property
    def _term_topic(self) -> dict[str, str]:
        """Every topic word (its name, synonyms, related words) -> its topic."""
        mapping: dict[str, str] = {}
        for name, (syn, rel) in self.topics.items():
            for word in (name, *syn, *rel):
                mapping.setdefault(word, name)
        return mapping

    @cached_property
    def _term_pattern(self) -> re.Pattern[str]:
        words = sorted(self._term_topic, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)))

    @cached_property
    def _synonyms(self) -> dict[str, tuple[str, ...]]:
        """A word -> the words that say the same thing (its topic's name and synonyms)."""
        out: dict[str, tuple[str, ...]] = {}
        for name, (syn, _) in self.topics.items():
            group = tuple(dict.fromkeys((name, *syn)))
            for word in group:
                out[word] = group
        return out

    @property
    def words(self) -> tuple[str, ...]:
        """Words the segmenter should keep whole: topic names, synonyms and typo corrections (not
        related words: 电梯坏 kept whole would hide 电梯 from a search for 电梯坏了)."""
        names = [word for name, (syn, _) in self.topics.items() for word in (name, *syn)]
        return tuple(dict.fromkeys([*names, *self.typos.values()]))

    # --- reading --------------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
        pattern = self._typo_pattern
        if pattern is not None:
            text = pattern.sub(lambda m: self.typos[m.group(0)], text)
        return text

    def topics_in(self, normalised: str) -> dict[str, list[str]]:
        """Topics a normalised text speaks of, each with the words that said so (longest first,
        non-overlapping)."""
        found: dict[str, list[str]] = {}
        for match in self._term_pattern.finditer(normalised):
            word = match.group(0)
            words = found.setdefault(self._term_topic[word], [])
            if word not in words:
                words.append(word)
        return found

    def without_topic_words(self, normalised: str) -> str:
        """The text with every topic word blanked out (what is left for jieba)."""
        return self._term_pattern.sub(" ", normalised)

    def topic_of(self, word: str) -> str | None:
        return self._term_topic.get(word)

    def synonyms(self, word: str) -> tuple[str, ...]:
        return self._synonyms.get(word, (word,))

    def naming_rank(self, keyword: str) -> int:
        """Which keyword names a hotspot of several: a topic, then a generic one, then a word."""
        if keyword not in self.topics:
            return 2
        return 1 if keyword in GENERIC_TOPICS else 0

    def is_stopword(self, word: str) -> bool:
        return word in self.stopwords

    def tone(self, normalised: str, topics: Iterable[str] = ()) -> tuple[Tone, tuple[str, ...]]:
        """Complaint, praise, greeting or neutral, and the cues that decided it (a topic that is
        a complaint whatever the wording is one cue)."""
        complaint = [c for c in COMPLAINT_CUES if c in normalised]
        complaint += [t for t in topics if t in NEGATIVE_TOPICS and t not in complaint]
        praise = [c for c in PRAISE_CUES if c in normalised]
        greeting = [c for c in GREETING_CUES if c in normalised]
        if greeting and not complaint:
            return Tone.GREETING, tuple(greeting)
        if praise and len(praise) >= len(complaint):
            return Tone.PRAISE, tuple(praise)
        if complaint:
            return Tone.COMPLAINT, tuple(complaint)
        return Tone.NEUTRAL, ()


DEFAULT_LEXICON = Lexicon()

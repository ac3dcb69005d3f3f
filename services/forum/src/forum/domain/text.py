"""Chinese segmentation with jieba and the community dictionary: search tokens and keywords."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

import jieba  # type: ignore[import-untyped]

jieba.setLogLevel(logging.WARNING)  # not its dictionary-loading chatter in every process's log

# Words residents use that jieba's general dictionary would cut in pieces.
COMMUNITY_DICTIONARY = (
    "广场舞",
    "飞线充电",
    "暖气",
    "楼道灯",
    "电动车",
    "充电桩",
    "高空抛物",
    "噪音",
    "漏水",
    "停车位",
    "垃圾分类",
    "电梯故障",
    "电梯",
    "物业费",
    "快递柜",
    "宠物狗",
    "狗屎",
    "占道",
    "装修噪音",
    "水压",
    "停水",
    "停电",
    "下水道",
    "化粪池",
    "消防通道",
    "监控",
    "门禁",
    "绿化带",
    "健身器材",
    "蚊虫",
    "老鼠",
    "油烟",
    "违建",
    "群租",
    "安全隐患",
)

STOPWORDS = frozenset(
    (
        "我们",
        "你们",
        "他们",
        "大家",
        "这个",
        "那个",
        "什么",
        "怎么",
        "为什么",
        "就是",
        "还是",
        "但是",
        "因为",
        "所以",
        "如果",
        "已经",
        "可以",
        "没有",
        "不是",
        "一下",
        "一个",
        "今天",
        "昨天",
        "明天",
        "现在",
        "时候",
        "真的",
        "感觉",
        "觉得",
        "希望",
        "谢谢",
        "请问",
        "有没有",
        "一直",
        "这么",
        "那么",
        "还有",
        "自己",
        "知道",
        "问题",
        "情况",
        "邻居",
        "小区",
        "业主",
        "物业",
        "楼上",
        "楼下",
        "一起",
        "一点",
        "这样",
        "那样",
        "非常",
        "比较",
        "这里",
        "那里",
        "还是",
        "应该",
        "需要",
        "能不能",
        "好像",
        "不过",
        "而且",
        "然后",
        "一样",
        "看到",
        "出来",
        "起来",
        "东西",
        "事情",
    )
)
# Particles that carry no meaning of their own: left out of the search index and queries.
STOP_CHARACTERS = frozenset("的了吗呢吧啊呀哦嘛和与是在也都就又还很把被给")
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")


class Segmenter:
    """One jieba tokenizer with the community dictionary (jieba's global one is left alone)."""

    def __init__(self, dictionary: Iterable[str] = COMMUNITY_DICTIONARY) -> None:
        self.dictionary = tuple(dictionary)
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False

    def _initialise(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._tokenizer.initialize()
            for word in self.dictionary:
                self._tokenizer.add_word(word, freq=200000)
            self._ready = True

    def search_tokens(self, text: str) -> list[str]:
        """Tokens to index and to query with (search mode also emits the parts of long words)."""
        if not self._ready:
            self._initialise()
        tokens = (t.strip().lower() for t in self._tokenizer.cut_for_search(text))
        return [t for t in tokens if t and t not in STOP_CHARACTERS and (t.isalnum() or _WORDLIKE.match(t))]

    def keywords(self, text: str) -> set[str]:
        """The distinct candidate keywords of one text: words of two or more characters that are
        not stop words (one mention per text, however often a resident repeats it)."""
        if not self._ready:
            self._initialise()
        return {
            t
            for t in self._tokenizer.lcut(text)
            if len(t) >= 2 and t not in STOPWORDS and _WORDLIKE.match(t) and not t.isdigit()
        }


_default: Segmenter | None = None


def default_segmenter() -> Segmenter:
    global _default
    if _default is None:
        _default = Segmenter()
    return _default

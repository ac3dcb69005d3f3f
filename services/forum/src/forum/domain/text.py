"""Chinese segmentation with jieba and the community dictionary: search tokens, search queries,
keywords and what a text says for hotspots. Every text is normalised first (traditional to
simplified, typos; `forum.domain.lexicon`), so 電梯 and 电悌 index, query and count as 电梯."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import jieba  # type: ignore[import-untyped]

from forum.domain.lexicon import BUILTIN_STOPWORDS, DEFAULT_LEXICON, Lexicon, Tone

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

STOPWORDS = BUILTIN_STOPWORDS
# Particles that carry no meaning of their own: left out of the search index and queries.
STOP_CHARACTERS = frozenset("的了吗呢吧啊呀哦嘛和与是在也都就又还很把被给")
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")


@dataclass(frozen=True)
class Reading:
    """What one text says for hotspots: the topics it speaks of (with the words that said so),
    its other candidate keywords, and its tone with the cues that decided it."""

    topics: dict[str, list[str]]
    words: frozenset[str]
    tone: Tone
    cues: tuple[str, ...]


class Segmenter:
    """One jieba tokenizer with the community dictionary and the lexicon's words (jieba's global
    one is left alone). A community's own lexicon entries are not added to jieba (one tokenizer
    serves every community): they widen queries and topics, both matched on normalised text."""

    def __init__(
        self, dictionary: Iterable[str] = COMMUNITY_DICTIONARY, lexicon: Lexicon = DEFAULT_LEXICON
    ) -> None:
        self.lexicon = lexicon
        self.dictionary = tuple(dict.fromkeys([*dictionary, *lexicon.words]))
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

    def _search_tokens(self, normalised: str) -> list[str]:
        if not self._ready:
            self._initialise()
        tokens = (t.strip() for t in self._tokenizer.cut_for_search(normalised))
        return [t for t in tokens if t and t not in STOP_CHARACTERS and (t.isalnum() or _WORDLIKE.match(t))]

    def search_tokens(self, text: str) -> list[str]:
        """Tokens to index (search mode also emits the parts of long words), of the normalised text."""
        return self._search_tokens(self.lexicon.normalise(text))

    def _query_term(self, word: str) -> str | None:
        """One word as a tsquery term: itself, or all of its pieces where jieba cuts it."""
        parts = [
            t
            for t in self._tokenizer.lcut(word)
            if t not in STOP_CHARACTERS and (t.isalnum() or _WORDLIKE.match(t))
        ]
        if not parts:
            return None
        term = " & ".join(f"'{p}'" for p in dict.fromkeys(parts))
        return term if len(parts) == 1 else f"({term})"

    def search_query(self, text: str, lexicon: Lexicon | None = None) -> str | None:
        """The `to_tsquery('simple', ...)` text that selects a query's matches.

        Every topic the query speaks of (a lexicon word, found on the normalised text before
        jieba cuts it) must match as any of its words: the topic's name and synonyms, or the
        word the query used (电梯坏了 finds 升降梯又停了; 高考 finds 高考生). The query's other
        words are then only ranking (`rank_query`). A query with no topic needs all its words.
        None when nothing is left to look for."""
        return self.search_queries(text, lexicon)[0]

    def rank_query(self, text: str, lexicon: Lexicon | None = None) -> str | None:
        """The tsquery text that ranks the matches: any word of the query or its topics."""
        return self.search_queries(text, lexicon)[1]

    def search_queries(self, text: str, lexicon: Lexicon | None = None) -> tuple[str | None, str | None]:
        lexicon = lexicon or self.lexicon
        if not self._ready:
            self._initialise()
        normalised = lexicon.normalise(text)
        topics = lexicon.topics_in(normalised)
        groups: list[str] = []
        for topic, used in topics.items():
            words = dict.fromkeys([*lexicon.synonyms(topic), *used])
            terms = [t for t in (self._query_term(w) for w in words) if t]
            if terms:
                groups.append(terms[0] if len(terms) == 1 else "(" + " | ".join(terms) + ")")
        rest = lexicon.without_topic_words(normalised) if topics else normalised
        others: list[str] = []
        for word in self._tokenizer.lcut(rest):
            word = word.strip()
            if word and word not in STOP_CHARACTERS and (word.isalnum() or _WORDLIKE.match(word)):
                term = self._query_term(word)
                if term and term not in others:
                    others.append(term)
        if groups:
            match = " & ".join(groups)
            rank = " | ".join([*groups, *others])
        elif others:
            match = rank = " & ".join(others)
        else:
            return None, None
        return match, rank

    def keywords(self, text: str) -> set[str]:
        """The distinct candidate keywords of one text: dictionary words of two or more characters
        that are not stop words (one mention per text, however often a resident repeats it;
        jieba's HMM for unknown words is off: a third of the time, and its guesses are noise)."""
        return self._keywords(self.lexicon.normalise(text), self.lexicon)

    def _keywords(self, normalised: str, lexicon: Lexicon) -> set[str]:
        if not self._ready:
            self._initialise()
        return {
            t
            for t in self._tokenizer.lcut(normalised, HMM=False)
            if len(t) >= 2 and not lexicon.is_stopword(t) and _WORDLIKE.match(t) and not t.isdigit()
        }

    def read(self, text: str, lexicon: Lexicon | None = None) -> Reading:
        """Topics, other keywords (not those of a topic) and tone of one text."""
        lexicon = lexicon or self.lexicon
        normalised = lexicon.normalise(text)
        topics = lexicon.topics_in(normalised)
        words = frozenset(w for w in self._keywords(normalised, lexicon) if lexicon.topic_of(w) is None)
        tone, cues = lexicon.tone(normalised, topics)
        return Reading(topics, words, tone, cues)


_default: Segmenter | None = None


def default_segmenter() -> Segmenter:
    global _default
    if _default is None:
        _default = Segmenter()
    return _default

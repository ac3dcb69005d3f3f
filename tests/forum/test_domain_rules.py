"""Trust, flag weights, watched words, segmentation and the Poisson tail (no infrastructure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from forum.domain.hotspots import BurstDetector, poisson_log10_sf
from forum.domain.moderation import (
    AUTO_HIDE_THRESHOLD,
    Member,
    WatchAction,
    WatchedWord,
    flag_weight,
    screen_text,
    trust_level,
)
from forum.domain.text import Segmenter

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def member(**kw: object) -> Member:
    values: dict[str, object] = {
        "first_seen_at": NOW,
        "verified_household": False,
        "staff": False,
        "visible_posts": 0,
        "flags_upheld": 0,
        "flags_overturned": 0,
    }
    values.update(kw)
    return Member(**values)  # type: ignore[arg-type]


def test_trust_levels() -> None:
    assert trust_level(member(), NOW) == 0
    assert trust_level(member(), NOW + timedelta(days=1)) == 1
    assert trust_level(member(verified_household=True), NOW) == 1
    assert trust_level(member(visible_posts=20, flags_upheld=3, flags_overturned=1), NOW) == 2
    assert trust_level(member(visible_posts=20, flags_upheld=0, flags_overturned=5), NOW) == 0
    assert trust_level(member(staff=True), NOW) == 3


def test_flag_weight_follows_trust_and_accuracy() -> None:
    assert flag_weight(0, 0, 0) == 0
    assert flag_weight(1, 0, 0) == 1.0
    assert flag_weight(3, 0, 0) > flag_weight(2, 0, 0) > flag_weight(1, 0, 0)
    accurate, grudging = flag_weight(1, 9, 0), flag_weight(1, 0, 9)
    assert accurate > 1.0 > grudging
    # Three fresh trust-1 neighbours hide a post; a serial wrong flagger cannot do it alone.
    assert 3 * flag_weight(1, 0, 0) >= AUTO_HIDE_THRESHOLD
    assert 10 * flag_weight(1, 0, 30) < AUTO_HIDE_THRESHOLD


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("加我微信买发票", WatchAction.BLOCK),
        ("加我微 信买", None),  # "微信" alone is not watched
        ("卖发 票，便宜", WatchAction.BLOCK),  # spaces between characters do not help
        ("ＦＡＰＩＡＯ代开", WatchAction.REQUIRE_APPROVAL),  # full-width letters
        ("你这个傻瓜", WatchAction.CENSOR),
        ("今天天气不错", None),
    ],
)
def test_watched_words_understand_chinese_text(text: str, action: WatchAction | None) -> None:
    words = [
        WatchedWord("发票", WatchAction.BLOCK),
        WatchedWord("fapiao", WatchAction.REQUIRE_APPROVAL),
        WatchedWord("傻瓜", WatchAction.CENSOR),
    ]
    assert screen_text(text, words).action == action


def test_censor_masks_and_strongest_action_wins() -> None:
    words = [WatchedWord("傻瓜", WatchAction.CENSOR), WatchedWord("发票", WatchAction.REQUIRE_APPROVAL)]
    assert screen_text("你这个傻瓜", words).text == "你这个**"
    assert screen_text("傻瓜卖发票", words).action is WatchAction.REQUIRE_APPROVAL


def test_community_dictionary_keeps_compound_words_whole() -> None:
    segmenter = Segmenter()
    assert "飞线充电" in segmenter.keywords("又有人在楼下飞线充电了")
    assert "广场舞" in segmenter.keywords("晚上的广场舞太吵")
    tokens = segmenter.search_tokens("三楼楼道灯坏了")
    assert "楼道灯" in tokens
    assert "了" not in tokens


def test_poisson_tail() -> None:
    assert poisson_log10_sf(0, 2.0) == 0.0
    assert -1.0 < poisson_log10_sf(2, 2.0) < 0  # P(X>=2 | 2) ~ 0.59
    assert poisson_log10_sf(20, 1.0) < -10


def test_a_keywords_own_baseline_decides() -> None:
    detector = BurstDetector()
    day0 = date(2026, 1, 1)
    usual = {day0 + timedelta(days=i): 6 for i in range(40)}  # 暖气 in winter: six a day
    calm = {(None, "暖气"): usual}
    # (its first day had no history, so it was news then; a month on it is the usual)
    assert detector.scan(calm, since=day0 + timedelta(days=30)) == []
    burst = dict(usual)
    burst[day0 + timedelta(days=35)] = 30
    found = detector.scan({(None, "暖气"): burst}, since=day0 + timedelta(days=30))
    assert [b.start for b in found] == [day0 + timedelta(days=35)]
    rare = {(None, "油烟"): {day0 + timedelta(days=35): 7}}  # a word never heard: 7 is a burst
    assert len(detector.scan(rare)) == 1


def test_every_problem_code_the_service_raises_speaks_three_languages() -> None:
    import re
    from pathlib import Path

    import forum
    import forum.main  # registers every catalogue the service uses
    from servicekit.i18n import known_codes, translate

    source = "\n".join(p.read_text() for p in Path(forum.__file__).parent.rglob("*.py"))
    raised = set(re.findall(r'DomainError\(\s*"([a-z_]+)"', source)) | {"transition_not_allowed"}
    assert raised <= known_codes(), raised - known_codes()
    for code in raised:
        assert {translate(code, locale)[0] for locale in ("zh-CN", "en", "ko")} != {
            translate("internal_error", "en")[0]
        }

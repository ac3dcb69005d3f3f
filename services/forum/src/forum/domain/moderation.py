"""Trust levels, weighted flags and the watched-words list.

Trust (0-3) decides what a member may do:
- 0: new and not yet verified; first-day caps on threads and replies; may not flag.
- 1: a verified household member, or anyone after their first day here.
- 2: a regular: 20+ visible posts and flags that were mostly upheld.
- 3: staff (mediator, manager, committee, admin): their flags weigh the most.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from servicekit.domain import decided_once

FIRST_DAY = timedelta(days=1)
STAFF_ROLES = frozenset({"mediator", "property_manager", "committee", "admin"})
# First-day caps for trust 0 (per rolling day since the member was first seen).
FIRST_DAY_THREAD_CAP = 3
FIRST_DAY_REPLY_CAP = 10
REGULAR_POSTS = 20
# Sum of flag weights at which a post is hidden until a mediator looks at it.
AUTO_HIDE_THRESHOLD = 3.0


class FlagReason(StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class ItemStatus(StrEnum):
    """A moderation queue item: open until a moderator decides it, once."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# The same decision again is a no-op (a retried request); the other one after a decision is a 409.
MODERATION_ITEM = decided_once(
    ItemStatus.OPEN,
    {Decision.APPROVE: ItemStatus.APPROVED, Decision.REJECT: ItemStatus.REJECTED},
    illegal="already_decided",
)


class WatchAction(StrEnum):
    BLOCK = "block"
    REQUIRE_APPROVAL = "require_approval"
    CENSOR = "censor"


@dataclass(frozen=True)
class Member:
    first_seen_at: datetime
    verified_household: bool
    staff: bool
    visible_posts: int
    flags_upheld: int
    flags_overturned: int


def trust_level(member: Member, now: datetime) -> int:
    if member.staff:
        return 3
    upheld, overturned = member.flags_upheld, member.flags_overturned
    if member.visible_posts >= REGULAR_POSTS and upheld >= overturned:
        return 2
    if member.verified_household or now - member.first_seen_at >= FIRST_DAY:
        return 1
    return 0


def flag_accuracy(upheld: int, overturned: int) -> float:
    """Laplace-smoothed share of this member's past flags that moderators upheld (0.5 unknown)."""
    return (upheld + 1) / (upheld + overturned + 2)


def flag_weight(trust: int, upheld: int, overturned: int) -> float:
    """How much one flag counts: more for trusted members, scaled by how often they were right.

    A member with no history weighs 1.0 at trust 1; one whose flags are always overturned tends
    to nothing, so a grudge cannot hide a neighbour's posts on its own.
    """
    base = {1: 1.0, 2: 1.5, 3: 2.0}.get(trust, 0.0)
    return round(base * 2 * flag_accuracy(upheld, overturned), 3)


def should_auto_hide(total_weight: float) -> bool:
    return total_weight >= AUTO_HIDE_THRESHOLD


# --- watched words ------------------------------------------------------------------------------
# Characters people put between the characters of a banned word to slip past a filter:
# whitespace, punctuation, symbols and zero-width marks.
_FILLER = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]|[^\w]", re.UNICODE)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, traditional spacing tricks removed."""
    return _FILLER.sub("", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True)
class WatchedWord:
    word: str
    action: WatchAction


@dataclass(frozen=True)
class Screening:
    action: WatchAction | None
    text: str
    matched: tuple[str, ...]


def screen_text(text: str, words: list[WatchedWord]) -> Screening:
    """Match watched words in Chinese text (no spaces between words, so by substring after
    normalisation, which also catches "广 告" and "ｗｅｃｈａｔ"). The strongest action wins:
    block > require approval > censor. Censoring masks the word where it appears verbatim."""
    flat = normalise(text)
    matched = [w for w in words if normalise(w.word) and normalise(w.word) in flat]
    if not matched:
        return Screening(None, text, ())
    names = tuple(w.word for w in matched)
    actions = {w.action for w in matched}
    for strongest in (WatchAction.BLOCK, WatchAction.REQUIRE_APPROVAL):
        if strongest in actions:
            return Screening(strongest, text, names)
    censored = text
    for w in matched:
        censored = re.sub(re.escape(w.word), "*" * len(w.word), censored, flags=re.IGNORECASE)
    return Screening(WatchAction.CENSOR, censored, names)

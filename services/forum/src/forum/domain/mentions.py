"""`@名字` in a post: the names it mentions (plain Python, no I/O).

A mention starts with `@` at the start of the text or after a space or punctuation (so an e-mail
address is no mention). Chinese text has no space after a name (`@张三你好`) and some names hold
one (`@Tom Lee`), so what follows the `@` (to the end of the line, at most 64 characters) only
*holds* the name: the service resolves it to the longest display name of the community it starts
with. The word up to the next space or punctuation is what an error names when nobody fits.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME", "longest_names", "mention_runs"]

MAX_NAME = 64
_STOP = r"\s@，。！？、；：,.!?;:（）()\[\]【】「」『』“”\"'《》<>"
_MENTION = re.compile(rf"(?:^|(?<=[{_STOP}]))@([^{_STOP}]{{1,{MAX_NAME}}})")


def mention_runs(text: str) -> list[tuple[str, str]]:
    """(word, rest of the line) after each `@` that starts a mention, in order, without repeats."""
    found: dict[str, str] = {}
    for match in _MENTION.finditer(text):
        rest = text[match.start(1) :].split("\n", 1)[0][:MAX_NAME]
        found.setdefault(rest, match.group(1))
    return [(word, rest) for rest, word in found.items()]


def longest_names(run: str, names: set[str]) -> str | None:
    """The longest of ``names`` that ``run`` starts with (`@张三丰你好` names 张三丰 before 张三)."""
    fitting = [name for name in names if run.startswith(name)]
    return max(fitting, key=len) if fitting else None

"""`@名字` in a post: the names it mentions (plain Python, no I/O).

A mention starts with `@` at the start of the text or after a space or punctuation (so an e-mail
address is no mention) and runs to the next space, punctuation or `@`. Chinese text has no spaces
after a name (`@张三你好`), so the run is only a *prefix* holder: the service resolves it to the
longest display name of the community that starts it.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME", "longest_names", "mention_runs"]

MAX_NAME = 64
_STOP = r"\s@，。！？、；：,.!?;:（）()\[\]【】「」『』“”\"'《》<>"
_MENTION = re.compile(rf"(?:^|(?<=[{_STOP}]))@([^{_STOP}]{{1,{MAX_NAME}}})")


def mention_runs(text: str) -> list[str]:
    """The text after each `@` that starts a mention, in order, without repeats."""
    return list(dict.fromkeys(match.group(1) for match in _MENTION.finditer(text)))


def longest_names(run: str, names: set[str]) -> str | None:
    """The longest of ``names`` that ``run`` starts with (`@张三丰你好` names 张三丰 before 张三)."""
    fitting = [name for name in names if run.startswith(name)]
    return max(fitting, key=len) if fitting else None

"""Domain errors: a stable code and the HTTP status the API answers with."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    def __init__(self, code: str, status: int = 409, params: Mapping[str, object] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = dict(params or {})


class IllegalTransition(DomainError):
    def __init__(self, state: str, action: str) -> None:
        super().__init__("transition_not_allowed", 409, {"state": state, "action": action})

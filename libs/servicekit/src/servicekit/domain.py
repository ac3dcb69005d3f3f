"""What every service's domain speaks: one error and one state-machine step. Pure Python.

This module imports only the standard library (a fitness test keeps it so), because every
service's `domain/` may import it.

- `DomainError(code, status=409, **params)`: a broken rule. `code` is stable and has zh-CN, en
  and ko messages (the service's messages.py); `params` fill them; `.showing(**fields)` adds
  fields to the answer's body. servicekit.errors answers it
  as problem+json with `status` (one handler, installed by servicekit.app for every service).
- `Machine`: an aggregate's transition table. `machine.step(state, action)` returns a `Step`
  that says where the aggregate goes and whether anything changed. Repeating the action that led
  to the current state is a no-op (`changed` False: phones on flaky networks retry), for the
  actions the machine says are repeatable; every other pair raises the machine's 409.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

__all__ = ["DomainError", "Machine", "Step", "decided_once"]


class DomainError(Exception):
    """A rule was broken: a stable ``code``, the HTTP ``status`` it maps to, message parameters."""

    def __init__(self, code: str, status: int = 409, /, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params: dict[str, object] = params
        self.extra: dict[str, object] = {}

    def showing(self, **fields: object) -> DomainError:
        """The same error, with ``fields`` in the answer's body beside ``code`` (the unknown
        names of a mention, the user ids not in the community) for programs to act on."""
        self.extra.update(fields)
        return self

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.status}, **{self.params!r})"


S = TypeVar("S", bound=Enum)
A = TypeVar("A", bound=Enum)


@dataclass(frozen=True)
class Step(Generic[S]):
    """Where one action takes an aggregate: `before` -> `after`; `changed` False for a no-op."""

    before: S
    after: S

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Machine(Generic[S, A]):
    """One aggregate's state machine.

    - ``transitions``: (state, action) -> next state; the only allowed moves.
    - ``illegal``: the code of the 409 for any other pair; its params are ``action`` and the
      current state under ``state_param`` (the name the service's messages use).
    - ``repeatable``: the actions whose repetition is a no-op (None: every action).
    - ``refusals``: (state, action) pairs refused with a more specific code than ``illegal``
      (an errand already taken by another courier).
    """

    transitions: Mapping[tuple[S, A], S]
    illegal: str
    repeatable: frozenset[A] | None = None
    state_param: str = "state"
    refusals: Mapping[tuple[S, A], str] = field(default_factory=dict)

    def step(self, state: S, action: A) -> Step[S]:
        target = self.transitions.get((state, action))
        if target is not None:
            return Step(state, target)
        if (self.repeatable is None or action in self.repeatable) and state in self.leads_to(action):
            return Step(state, state)
        code = self.refusals.get((state, action), self.illegal)
        raise DomainError(code, 409, **{self.state_param: state.value, "action": action.value})

    def leads_to(self, action: A) -> frozenset[S]:
        """The states ``action`` can lead to."""
        return frozenset(to for (_, act), to in self.transitions.items() if act == action)

    def allowed(self, state: S, action: A) -> bool:
        return (state, action) in self.transitions

    @staticmethod
    def refusing(code: str, states: Iterable[S], action: A) -> dict[tuple[S, A], str]:
        """``refusals`` entries: ``action`` from any of ``states`` is refused with ``code``."""
        return {(state, action): code for state in states}


def decided_once(pending: S, outcomes: Mapping[A, S], *, illegal: str) -> Machine[S, A]:
    """A machine that leaves ``pending`` once, by one of ``outcomes`` (action -> final state):
    the same decision again is a no-op, the other one after a decision the 409 ``illegal``
    (household claims, courier applications, moderation queue items)."""
    return Machine({(pending, action): final for action, final in outcomes.items()}, illegal=illegal)

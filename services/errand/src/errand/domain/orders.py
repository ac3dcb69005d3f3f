"""The errand order's lifecycle (docs/contract.md "Order states and transitions"): an enum of states, an
enum of actions and one transition table. Nothing else decides where an order may go."""

from __future__ import annotations

from enum import StrEnum

from errand.domain.errors import IllegalTransition, OrderAlreadyTaken


class OrderStatus(StrEnum):
    DISPATCHING = "dispatching"
    ACCEPTED = "accepted"
    ARRIVED = "arrived"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(StrEnum):
    ACCEPT = "accept"
    ARRIVE = "arrive"
    PICKUP = "pickup"
    DELIVER = "deliver"
    CONFIRM = "confirm"
    AUTO_COMPLETE = "auto_complete"
    EXPIRE = "expire"
    CANCEL = "cancel"
    RELEASE = "release"
    FAIL = "fail"


S, A = OrderStatus, Action

TRANSITIONS: dict[tuple[OrderStatus, Action], OrderStatus] = {
    (S.DISPATCHING, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.ARRIVE): S.ARRIVED,
    (S.ARRIVED, A.PICKUP): S.PICKED_UP,
    (S.PICKED_UP, A.DELIVER): S.DELIVERED,
    (S.DELIVERED, A.CONFIRM): S.COMPLETED,
    (S.DELIVERED, A.AUTO_COMPLETE): S.COMPLETED,
    (S.DISPATCHING, A.EXPIRE): S.EXPIRED,
    (S.DISPATCHING, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.RELEASE): S.DISPATCHING,
    (S.ARRIVED, A.RELEASE): S.DISPATCHING,
    (S.PICKED_UP, A.FAIL): S.FAILED,
}

# A retry from a flaky mobile network finds the order already where the action leads: answer with
# the order as it is instead of a 409. Accept is repeatable only for the courier who holds the
# order (the service layer knows who that is); release is not, since the courier no longer holds it.
REPEATABLE = frozenset({A.ARRIVE, A.PICKUP, A.DELIVER, A.CONFIRM, A.CANCEL, A.FAIL})

ACTIVE_FOR_COURIER = frozenset({S.ACCEPTED, S.ARRIVED, S.PICKED_UP})
OPEN = frozenset({S.DISPATCHING})
FINAL = frozenset({S.COMPLETED, S.EXPIRED, S.CANCELLED, S.FAILED})
# States an order reaches only after a courier took it.
TAKEN = frozenset({S.ACCEPTED, S.ARRIVED, S.PICKED_UP, S.DELIVERED, S.COMPLETED, S.FAILED})


def next_status(current: OrderStatus, action: Action) -> OrderStatus | None:
    """The status ``action`` leads to from ``current``; None when the action was already applied
    and repeating it is a safe no-op. Raises the domain error for a forbidden transition."""
    target = TRANSITIONS.get((current, action))
    if target is not None:
        return target
    if action in REPEATABLE and any(
        to == current for (_frm, act), to in TRANSITIONS.items() if act == action
    ):
        return None
    if action is A.ACCEPT and current in TAKEN:
        # Someone else holds (or held and finished) the order: the stable answer to the race.
        raise OrderAlreadyTaken(status=current.value)
    raise IllegalTransition(status=current.value, action=action.value)

"""The errand order's lifecycle (docs/contract.md "Order states and transitions"): an enum of states, an
enum of actions and one transition table, stepped by servicekit.domain.Machine (`ORDER.step`).
Nothing else decides where an order may go."""

from __future__ import annotations

from enum import StrEnum

from servicekit.domain import Machine


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


# An accept on an order someone else holds (or held and finished) is the stable answer to the race.
ORDER = Machine(
    TRANSITIONS,
    illegal="order_transition_not_allowed",
    repeatable=REPEATABLE,
    state_param="status",
    refusals=Machine.refusing("order_already_taken", TAKEN, A.ACCEPT),
)

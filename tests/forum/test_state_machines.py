"""Every allowed and every forbidden transition of both state machines of docs/contract.md."""

from __future__ import annotations

import itertools

import pytest

from forum.domain.moderation import MODERATION_ITEM, Decision, ItemStatus
from forum.domain.states import (
    DELIBERATION,
    DELIBERATION_TRANSITIONS,
    DISPUTE,
    DISPUTE_TRANSITIONS,
    DeliberationAction,
    DeliberationState,
    DisputeAction,
    DisputeState,
)
from servicekit.domain import DomainError

D, DA = DisputeState, DisputeAction
S, SA = DeliberationState, DeliberationAction

# docs/contract.md, written out again by hand so that a changed table fails here.
DISPUTE_EXPECTED = {
    (D.REPORTED, DA.TRIAGE): D.TRIAGED,
    (D.TRIAGED, DA.PROPOSE_MEDIATOR): D.MEDIATOR_PROPOSED,
    (D.MEDIATOR_PROPOSED, DA.ALL_ACCEPT_MEDIATOR): D.IN_MEDIATION,
    (D.IN_MEDIATION, DA.PROPOSE_TERMS): D.AGREEMENT_PROPOSED,
    (D.AGREEMENT_PROPOSED, DA.ALL_ACCEPT_AGREEMENT): D.AGREED,
    (D.AGREEMENT_PROPOSED, DA.DECLINE_AGREEMENT): D.IN_MEDIATION,
    (D.AGREED, DA.START_MONITORING): D.MONITORING,
    (D.MONITORING, DA.CHECK_INS_OK): D.RESOLVED,
    (D.MONITORING, DA.TERM_BROKEN): D.REOPENED,
    (D.MONITORING, DA.NEW_COMPLAINT): D.REOPENED,
    (D.REOPENED, DA.RESUME): D.IN_MEDIATION,
    (D.IN_MEDIATION, DA.ESCALATE): D.ESCALATED,
    (D.REPORTED, DA.WITHDRAW): D.WITHDRAWN,
    (D.TRIAGED, DA.WITHDRAW): D.WITHDRAWN,
    (D.REPORTED, DA.CLOSE_NOT_DISPUTE): D.CLOSED_NOT_DISPUTE,
    (D.TRIAGED, DA.CLOSE_NOT_DISPUTE): D.CLOSED_NOT_DISPUTE,
}
DELIBERATION_EXPECTED = {
    (S.COLLECTING, SA.SUPPORT_THRESHOLD_MET): S.SCREENING,
    (S.COLLECTING, SA.WINDOW_ENDED): S.EXPIRED,
    (S.SCREENING, SA.SCREEN_ACCEPT): S.DELIBERATING,
    (S.SCREENING, SA.SCREEN_REJECT): S.REJECTED,
    (S.DELIBERATING, SA.MINUTES_TO_VOTE): S.VOTING,
    (S.DELIBERATING, SA.MINUTES_DECIDE): S.DECIDED,
    (S.VOTING, SA.VOTE_CARRIED): S.DECIDED,
    (S.VOTING, SA.VOTE_FAILED): S.REJECTED,
    (S.DECIDED, SA.START_ACTING): S.ACTING,
    (S.ACTING, SA.SUPERVISE): S.SUPERVISING,
    (S.SUPERVISING, SA.EVALUATE): S.EVALUATING,
    (S.EVALUATING, SA.RATING_PASSED): S.CLOSED,
    (S.EVALUATING, SA.RATING_FAILED): S.ACTING,
}


def test_tables_are_the_contract() -> None:
    assert DISPUTE_TRANSITIONS == DISPUTE_EXPECTED
    assert DELIBERATION_TRANSITIONS == DELIBERATION_EXPECTED


@pytest.mark.parametrize(("pair", "target"), DISPUTE_EXPECTED.items(), ids=lambda v: str(v))
def test_dispute_allowed(pair: tuple[DisputeState, DisputeAction], target: DisputeState) -> None:
    step = DISPUTE.step(*pair)
    assert (step.before, step.after, step.changed) == (pair[0], target, True)


@pytest.mark.parametrize(("pair", "target"), DELIBERATION_EXPECTED.items(), ids=lambda v: str(v))
def test_deliberation_allowed(
    pair: tuple[DeliberationState, DeliberationAction], target: DeliberationState
) -> None:
    step = DELIBERATION.step(*pair)
    assert (step.before, step.after, step.changed) == (pair[0], target, True)


def _repeats(table: dict, state: object, action: object) -> bool:  # type: ignore[type-arg]
    return any(after == state and act == action for (_, act), after in table.items())


DISPUTE_FORBIDDEN = [
    (s, a)
    for s, a in itertools.product(D, DA)
    if (s, a) not in DISPUTE_EXPECTED and not _repeats(DISPUTE_EXPECTED, s, a)
]
DELIBERATION_FORBIDDEN = [
    (s, a)
    for s, a in itertools.product(S, SA)
    if (s, a) not in DELIBERATION_EXPECTED and not _repeats(DELIBERATION_EXPECTED, s, a)
]


@pytest.mark.parametrize(("state", "action"), DISPUTE_FORBIDDEN)
def test_dispute_forbidden(state: DisputeState, action: DisputeAction) -> None:
    with pytest.raises(DomainError) as caught:
        DISPUTE.step(state, action)
    assert (caught.value.code, caught.value.status) == ("transition_not_allowed", 409)


@pytest.mark.parametrize(("state", "action"), DELIBERATION_FORBIDDEN)
def test_deliberation_forbidden(state: DeliberationState, action: DeliberationAction) -> None:
    with pytest.raises(DomainError) as caught:
        DELIBERATION.step(state, action)
    assert (caught.value.code, caught.value.status) == ("transition_not_allowed", 409)
    assert caught.value.params == {"state": state.value, "action": action.value}


def test_repeating_the_transition_that_led_here_is_a_no_op() -> None:
    # A retried "accept the agreement" after the case is agreed, or "screen accept" twice.
    assert not DISPUTE.step(D.AGREED, DA.ALL_ACCEPT_AGREEMENT).changed
    assert not DELIBERATION.step(S.DELIBERATING, SA.SCREEN_ACCEPT).changed
    # ... but never from a state the action does not lead to.
    with pytest.raises(DomainError):
        DISPUTE.step(D.RESOLVED, DA.ALL_ACCEPT_AGREEMENT)


def test_forbidden_lists_cover_every_other_pair() -> None:
    assert len(DISPUTE_FORBIDDEN) + len(DISPUTE_EXPECTED) + sum(
        _repeats(DISPUTE_EXPECTED, s, a) for s, a in itertools.product(D, DA)
    ) == len(D) * len(DA)
    assert len(DISPUTE_FORBIDDEN) > 100
    assert len(DELIBERATION_FORBIDDEN) > 100


# -- moderation queue items: open -> approved | rejected, once ----------------------------------------
ITEM_EXPECTED = {
    (ItemStatus.OPEN, Decision.APPROVE): ItemStatus.APPROVED,
    (ItemStatus.OPEN, Decision.REJECT): ItemStatus.REJECTED,
}
ITEM_REPEATS = {(ItemStatus.APPROVED, Decision.APPROVE), (ItemStatus.REJECTED, Decision.REJECT)}
ITEM_FORBIDDEN = [
    pair
    for pair in itertools.product(ItemStatus, Decision)
    if pair not in ITEM_EXPECTED and pair not in ITEM_REPEATS
]


@pytest.mark.parametrize(("pair", "target"), ITEM_EXPECTED.items(), ids=lambda v: str(v))
def test_moderation_item_allowed(pair: tuple[ItemStatus, Decision], target: ItemStatus) -> None:
    step = MODERATION_ITEM.step(*pair)
    assert (step.before, step.after, step.changed) == (pair[0], target, True)


@pytest.mark.parametrize("pair", sorted(ITEM_REPEATS))
def test_moderation_item_same_decision_again_is_a_no_op(pair: tuple[ItemStatus, Decision]) -> None:
    assert not MODERATION_ITEM.step(*pair).changed


@pytest.mark.parametrize("pair", ITEM_FORBIDDEN)
def test_moderation_item_forbidden(pair: tuple[ItemStatus, Decision]) -> None:
    with pytest.raises(DomainError) as caught:
        MODERATION_ITEM.step(*pair)
    assert (caught.value.code, caught.value.status) == ("already_decided", 409)
    assert len(ITEM_FORBIDDEN) == 2

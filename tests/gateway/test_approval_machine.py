"""The approval state machine of household claims and courier applications (gateway.domain.identity),
every (state, action) pair: pending -> approved | rejected once; the same decision again is a
no-op; the other decision after one is the 409 claim_not_pending."""

from __future__ import annotations

import itertools

import pytest

from gateway.domain.identity import APPROVAL, ApprovalAction, ApprovalState
from servicekit.domain import DomainError

S, A = ApprovalState, ApprovalAction
ALLOWED = {(S.PENDING, A.APPROVE): S.APPROVED, (S.PENDING, A.REJECT): S.REJECTED}
REPEATS = {(S.APPROVED, A.APPROVE), (S.REJECTED, A.REJECT)}
PAIRS = list(itertools.product(S, A))


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in ALLOWED])
def test_allowed(state: ApprovalState, action: ApprovalAction) -> None:
    step = APPROVAL.step(state, action)
    assert (step.before, step.after, step.changed) == (state, ALLOWED[(state, action)], True)


@pytest.mark.parametrize(("state", "action"), sorted(REPEATS))
def test_the_same_decision_again_is_a_no_op(state: ApprovalState, action: ApprovalAction) -> None:
    step = APPROVAL.step(state, action)
    assert (step.after, step.changed) == (state, False)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in ALLOWED and p not in REPEATS])
def test_forbidden(state: ApprovalState, action: ApprovalAction) -> None:
    with pytest.raises(DomainError) as caught:
        APPROVAL.step(state, action)
    assert (caught.value.code, caught.value.status) == ("claim_not_pending", 409)


def test_every_pair_is_covered() -> None:
    forbidden = [p for p in PAIRS if p not in ALLOWED and p not in REPEATS]
    assert len(ALLOWED) + len(REPEATS) + len(forbidden) == len(S) * len(A) == 6

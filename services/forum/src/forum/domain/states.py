"""The two state machines of docs/contract.md's Forum section, as enums and transition tables.

A transition is looked up by (current state, action) with servicekit.domain.Machine:
`DISPUTE.step(state, action)`. Repeating the transition that led to the current state is a no-op
(`Step.changed` is False), so a retried request from a flaky mobile network does not fail; any
other pair is the 409 `transition_not_allowed`.
"""

from __future__ import annotations

from enum import StrEnum

from servicekit.domain import Machine


class DisputeState(StrEnum):
    REPORTED = "reported"
    TRIAGED = "triaged"
    MEDIATOR_PROPOSED = "mediator_proposed"
    IN_MEDIATION = "in_mediation"
    AGREEMENT_PROPOSED = "agreement_proposed"
    AGREED = "agreed"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    CLOSED_NOT_DISPUTE = "closed_not_dispute"
    REOPENED = "reopened"


class DisputeAction(StrEnum):
    TRIAGE = "triage"
    PROPOSE_MEDIATOR = "propose_mediator"
    ALL_ACCEPT_MEDIATOR = "all_accept_mediator"
    PROPOSE_TERMS = "propose_terms"
    ALL_ACCEPT_AGREEMENT = "all_accept_agreement"
    DECLINE_AGREEMENT = "decline_agreement"
    START_MONITORING = "start_monitoring"
    CHECK_INS_OK = "check_ins_ok"
    TERM_BROKEN = "term_broken"
    NEW_COMPLAINT = "new_complaint"
    RESUME = "resume"
    ESCALATE = "escalate"
    WITHDRAW = "withdraw"
    CLOSE_NOT_DISPUTE = "close_not_dispute"


_D = DisputeState
_DA = DisputeAction
DISPUTE_TRANSITIONS: dict[tuple[DisputeState, DisputeAction], DisputeState] = {
    (_D.REPORTED, _DA.TRIAGE): _D.TRIAGED,
    (_D.TRIAGED, _DA.PROPOSE_MEDIATOR): _D.MEDIATOR_PROPOSED,
    (_D.MEDIATOR_PROPOSED, _DA.ALL_ACCEPT_MEDIATOR): _D.IN_MEDIATION,
    (_D.IN_MEDIATION, _DA.PROPOSE_TERMS): _D.AGREEMENT_PROPOSED,
    (_D.AGREEMENT_PROPOSED, _DA.ALL_ACCEPT_AGREEMENT): _D.AGREED,
    (_D.AGREEMENT_PROPOSED, _DA.DECLINE_AGREEMENT): _D.IN_MEDIATION,
    (_D.AGREED, _DA.START_MONITORING): _D.MONITORING,
    (_D.MONITORING, _DA.CHECK_INS_OK): _D.RESOLVED,
    (_D.MONITORING, _DA.TERM_BROKEN): _D.REOPENED,
    (_D.MONITORING, _DA.NEW_COMPLAINT): _D.REOPENED,
    (_D.REOPENED, _DA.RESUME): _D.IN_MEDIATION,
    (_D.IN_MEDIATION, _DA.ESCALATE): _D.ESCALATED,
    (_D.REPORTED, _DA.WITHDRAW): _D.WITHDRAWN,
    (_D.TRIAGED, _DA.WITHDRAW): _D.WITHDRAWN,
    (_D.REPORTED, _DA.CLOSE_NOT_DISPUTE): _D.CLOSED_NOT_DISPUTE,
    (_D.TRIAGED, _DA.CLOSE_NOT_DISPUTE): _D.CLOSED_NOT_DISPUTE,
}


class DeliberationState(StrEnum):
    COLLECTING = "collecting"
    SCREENING = "screening"
    DELIBERATING = "deliberating"
    VOTING = "voting"
    DECIDED = "decided"
    ACTING = "acting"
    SUPERVISING = "supervising"
    EVALUATING = "evaluating"
    CLOSED = "closed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class DeliberationAction(StrEnum):
    SUPPORT_THRESHOLD_MET = "support_threshold_met"
    WINDOW_ENDED = "window_ended"
    SCREEN_ACCEPT = "screen_accept"
    SCREEN_REJECT = "screen_reject"
    MINUTES_TO_VOTE = "minutes_to_vote"
    MINUTES_DECIDE = "minutes_decide"
    VOTE_CARRIED = "vote_carried"
    VOTE_FAILED = "vote_failed"
    START_ACTING = "start_acting"
    SUPERVISE = "supervise"
    EVALUATE = "evaluate"
    RATING_PASSED = "rating_passed"
    RATING_FAILED = "rating_failed"


_S = DeliberationState
_A = DeliberationAction
DELIBERATION_TRANSITIONS: dict[tuple[DeliberationState, DeliberationAction], DeliberationState] = {
    (_S.COLLECTING, _A.SUPPORT_THRESHOLD_MET): _S.SCREENING,
    (_S.COLLECTING, _A.WINDOW_ENDED): _S.EXPIRED,
    (_S.SCREENING, _A.SCREEN_ACCEPT): _S.DELIBERATING,
    (_S.SCREENING, _A.SCREEN_REJECT): _S.REJECTED,
    (_S.DELIBERATING, _A.MINUTES_TO_VOTE): _S.VOTING,
    (_S.DELIBERATING, _A.MINUTES_DECIDE): _S.DECIDED,
    (_S.VOTING, _A.VOTE_CARRIED): _S.DECIDED,
    (_S.VOTING, _A.VOTE_FAILED): _S.REJECTED,
    (_S.DECIDED, _A.START_ACTING): _S.ACTING,
    (_S.ACTING, _A.SUPERVISE): _S.SUPERVISING,
    (_S.SUPERVISING, _A.EVALUATE): _S.EVALUATING,
    (_S.EVALUATING, _A.RATING_PASSED): _S.CLOSED,
    (_S.EVALUATING, _A.RATING_FAILED): _S.ACTING,
}


DISPUTE = Machine(DISPUTE_TRANSITIONS, illegal="transition_not_allowed")
DELIBERATION = Machine(DELIBERATION_TRANSITIONS, illegal="transition_not_allowed")

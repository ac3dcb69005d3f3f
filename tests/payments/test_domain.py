"""The payments domain without infrastructure: movements balance, the payment state machine, fees."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from payments.domain import ledger
from payments.domain.fees import Basis, amount_in_words, bill_amount, is_overdue
from payments.domain.payments import (
    MACHINE,
    REFUND_MACHINE,
    Action,
    RefundAction,
    RefundStatus,
    Status,
    after_refunds,
)
from servicekit.domain import DomainError

C = uuid.uuid4()
PAYER = ledger.Account(ledger.AccountKind.RESIDENT, uuid.uuid4())
ESCROW = ledger.Account(ledger.AccountKind.ESCROW, uuid.uuid4())
COURIER = ledger.Account(ledger.AccountKind.COURIER, uuid.uuid4())


def test_every_movement_sums_to_zero() -> None:
    movements = [
        ledger.payment_received(ref="p", community_id=C, payer=PAYER, target=ESCROW, amount_fen=1000),
        ledger.refund_paid(ref="r", community_id=C, payer=PAYER, source=ESCROW, amount_fen=800),
        ledger.split_from_escrow(
            kind=ledger.MovementKind.SETTLEMENT,
            ref="o",
            escrow=ESCROW,
            shares=[(COURIER, 150), (ledger.Account(ledger.AccountKind.PLATFORM, C), 50)],
        ),
        ledger.payout(ref="w", community_id=C, courier=COURIER, amount_fen=150),
    ]
    for movement in movements:
        assert movement.total == 0
    balances: dict[ledger.Account, int] = {}
    for movement in movements:
        for posting in movement.postings:
            balances[posting.account] = balances.get(posting.account, 0) + posting.amount_fen
    assert balances[ESCROW] == 0
    assert balances[COURIER] == 0
    assert balances[PAYER] == 0
    assert balances[ledger.provider(C)] == -50  # what stays at WeChat Pay: the platform's fee


def test_an_unbalanced_or_empty_movement_cannot_exist() -> None:
    with pytest.raises(ledger.UnbalancedMovement):
        ledger.Movement(
            ledger.MovementKind.PAYMENT, "x", (ledger.Posting(PAYER, 5), ledger.Posting(ESCROW, -4))
        )
    with pytest.raises(ledger.UnbalancedMovement):
        ledger.Movement(
            ledger.MovementKind.PAYMENT, "x", (ledger.Posting(PAYER, 0), ledger.Posting(ESCROW, 0))
        )
    with pytest.raises(ledger.UnbalancedMovement):
        ledger.payment_received(ref="p", community_id=C, payer=PAYER, target=ESCROW, amount_fen=0)
    with pytest.raises(ledger.UnbalancedMovement):
        ledger.split_from_escrow(
            kind=ledger.MovementKind.SETTLEMENT,
            ref="o",
            escrow=ESCROW,
            shares=[(COURIER, 300), (PAYER, -100)],
        )


# Every (state, action) pair: where it leads, None for the 409 payment_illegal_transition.
EXPECTED = {
    Action.PAY: {
        Status.PENDING: Status.PAID,
        Status.CLOSED: Status.PAID,  # money that came anyway is booked
        Status.FAILED: Status.PAID,
        Status.PAID: Status.PAID,  # a replayed callback
        Status.REFUNDING: Status.REFUNDING,
        Status.REFUNDED: Status.REFUNDED,
    },
    Action.CLOSE: {Status.PENDING: Status.CLOSED, Status.CLOSED: Status.CLOSED},
    Action.FAIL: {Status.PENDING: Status.FAILED, Status.FAILED: Status.FAILED},
    Action.REFUND: {Status.PAID: Status.REFUNDING, Status.REFUNDING: Status.REFUNDING},
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_payment_state_machine(status: Status, action: Action) -> None:
    target = EXPECTED[action].get(status)
    if target is None:
        with pytest.raises(DomainError) as refused:
            MACHINE.step(status, action)
        assert refused.value.code == "payment_illegal_transition"
        assert refused.value.status == 409
        assert refused.value.params == {"status": status.value, "action": action.value}
        return
    step = MACHINE.step(status, action)
    assert step.after == target
    assert step.changed == (target != status)


REFUND_EXPECTED = {
    RefundAction.ACCEPT: {
        RefundStatus.PENDING: RefundStatus.PROCESSING,
        RefundStatus.PROCESSING: RefundStatus.PROCESSING,
    },
    RefundAction.SUCCEED: {
        RefundStatus.PENDING: RefundStatus.SUCCEEDED,
        RefundStatus.PROCESSING: RefundStatus.SUCCEEDED,
        RefundStatus.SUCCEEDED: RefundStatus.SUCCEEDED,  # a replayed callback
    },
    RefundAction.FAIL: {
        RefundStatus.PENDING: RefundStatus.FAILED,
        RefundStatus.PROCESSING: RefundStatus.FAILED,
        RefundStatus.FAILED: RefundStatus.FAILED,
    },
}


@pytest.mark.parametrize("action", list(RefundAction))
@pytest.mark.parametrize("status", list(RefundStatus))
def test_refund_state_machine(status: RefundStatus, action: RefundAction) -> None:
    target = REFUND_EXPECTED[action].get(status)
    if target is None:
        with pytest.raises(DomainError) as refused:
            REFUND_MACHINE.step(status, action)
        assert refused.value.code == "refund_illegal_transition"
        return
    step = REFUND_MACHINE.step(status, action)
    assert step.after == target
    assert step.changed == (target != status)


def test_refunds_settle_the_payment_status() -> None:
    assert after_refunds(1000, 1000, 0) == Status.REFUNDED
    assert after_refunds(1000, 800, 0) == Status.PAID
    assert after_refunds(1000, 0, 800) == Status.REFUNDING


def test_fee_amounts_and_arrears() -> None:
    assert bill_amount(Basis.FIXED, 3000, None) == 3000
    # 1.85 yuan per m2 on 88.50 m2 = 163.725 yuan -> 16373 fen (half up)
    assert bill_amount(Basis.AREA, 185, 8850) == 16373
    assert is_overdue("issued", date(2026, 11, 30), date(2026, 12, 1))
    assert not is_overdue("paid", date(2026, 11, 30), date(2026, 12, 1))
    assert not is_overdue("issued", date(2026, 12, 1), date(2026, 12, 1))


def test_amount_in_words_as_a_receipt_writes_it() -> None:
    assert amount_in_words(16373) == "壹佰陆拾叁元柒角叁分"
    assert amount_in_words(100000) == "壹仟元整"
    assert amount_in_words(100500) == "壹仟零伍元整"
    assert amount_in_words(1000000) == "壹万元整"
    assert amount_in_words(1010000) == "壹万零壹佰元整"
    assert amount_in_words(1000000000) == "壹仟万元整"
    assert amount_in_words(10000000100) == "壹亿零壹元整"
    assert amount_in_words(105) == "壹元零伍分"
    assert amount_in_words(5) == "伍分"
    assert amount_in_words(0) == "零元整"

"""The double-entry ledger.

Every movement of money is a :class:`Movement`: two or more postings to accounts whose amounts sum
to zero. Balances are never stored: an account's balance is the sum of its postings. A posting's
sign is from the account holder's side of the platform's books:

- ``provider`` is the money at WeChat Pay (the merchant account): a payment coming in is a negative
  posting there (it left the outside world) and a positive one to whoever it is for; a refund or a
  payout is the opposite.
- ``escrow`` (one per errand order) holds what a requester paid until the order settles;
- ``resident``, ``courier``, ``merchant`` are people and shops: positive = the platform owes them;
- ``property`` is the community's property company, ``platform`` the platform's own revenue.

The database refuses an unbalanced movement too (a deferred constraint trigger), so no code path,
present or future, can write half a movement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    RESIDENT = "resident"
    COURIER = "courier"
    MERCHANT = "merchant"
    PROPERTY = "property"
    PLATFORM = "platform"
    ESCROW = "escrow"
    PROVIDER = "provider"


class MovementKind(StrEnum):
    PAYMENT = "payment"  # money in from WeChat Pay
    REFUND = "refund"  # money back out to the payer
    SETTLEMENT = "settlement"  # an errand's escrow to its courier (and the platform)
    CANCEL_FEE = "cancel_fee"  # the cancellation fee from an errand's escrow
    PAYOUT = "payout"  # a courier's earnings transferred out


class UnbalancedMovement(ValueError):
    """Postings that do not sum to zero, or a movement that moves nothing."""


@dataclass(frozen=True, slots=True)
class Account:
    kind: AccountKind
    # The person, shop, order (escrow) or community (property, platform, provider) it belongs to.
    owner_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Movement:
    kind: MovementKind
    # What the movement is about (a payment, a refund, an order, a payout): unique per kind, so the
    # same fact can never be booked twice.
    ref: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise UnbalancedMovement("a movement has at least two postings")
        if any(posting.amount_fen == 0 for posting in self.postings):
            raise UnbalancedMovement("a posting moves money")
        if sum(posting.amount_fen for posting in self.postings) != 0:
            raise UnbalancedMovement(f"{self.kind} {self.ref}: postings sum to {self.total}")

    @property
    def total(self) -> int:
        return sum(posting.amount_fen for posting in self.postings)

    @property
    def volume_fen(self) -> int:
        """The money moved (the sum of the positive side)."""
        return sum(posting.amount_fen for posting in self.postings if posting.amount_fen > 0)


def _movement(kind: MovementKind, ref: str, *pairs: tuple[Account, int]) -> Movement:
    return Movement(kind, ref, tuple(Posting(account, amount) for account, amount in pairs if amount != 0))


def provider(community_id: uuid.UUID) -> Account:
    return Account(AccountKind.PROVIDER, community_id)


def payment_received(
    *, ref: str, community_id: uuid.UUID, payer: Account, target: Account, amount_fen: int
) -> Movement:
    """The payer paid ``amount_fen`` through WeChat Pay for ``target`` (an errand's escrow, the
    property company): in through the payer's account, straight on to what it pays for."""
    _positive(amount_fen)
    return _movement(
        MovementKind.PAYMENT,
        ref,
        (provider(community_id), -amount_fen),
        (payer, amount_fen),
        (payer, -amount_fen),
        (target, amount_fen),
    )


def refund_paid(
    *, ref: str, community_id: uuid.UUID, payer: Account, source: Account, amount_fen: int
) -> Movement:
    """WeChat Pay returned ``amount_fen`` to the payer, taken from what the payment had paid for."""
    _positive(amount_fen)
    return _movement(
        MovementKind.REFUND,
        ref,
        (source, -amount_fen),
        (payer, amount_fen),
        (payer, -amount_fen),
        (provider(community_id), amount_fen),
    )


def split_from_escrow(
    *, kind: MovementKind, ref: str, escrow: Account, shares: list[tuple[Account, int]]
) -> Movement:
    """Move shares out of an errand's escrow (settlement: courier and platform; cancellation fee)."""
    total = sum(amount for _, amount in shares)
    _positive(total)
    if any(amount < 0 for _, amount in shares):
        raise UnbalancedMovement("a share is never negative")
    return _movement(kind, ref, (escrow, -total), *shares)


def payout(*, ref: str, community_id: uuid.UUID, courier: Account, amount_fen: int) -> Movement:
    """A courier's earnings transferred out through the provider."""
    _positive(amount_fen)
    return _movement(MovementKind.PAYOUT, ref, (courier, -amount_fen), (provider(community_id), amount_fen))


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise UnbalancedMovement("an amount is positive")

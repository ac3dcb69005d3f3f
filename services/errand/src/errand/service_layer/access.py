"""Who may touch an order (OWASP API1). Routers declare the parties an endpoint admits; the use
case applies the declaration to the row it loaded (under lock where it writes), so a courier who
released the order a moment ago is turned away as surely as a stranger. Everyone else gets 404."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from servicekit.auth import CurrentUser
from servicekit.errors import NotFound


class Party(StrEnum):
    REQUESTER = "requester"
    COURIER = "courier"
    ADMIN = "admin"
    RECIPIENT = "recipient"  # a verified member of the household the order is for


@dataclass(frozen=True)
class OrderGuard:
    actor: CurrentUser
    parties: frozenset[Party]

    def party_of(self, order: Any) -> Party | None:
        if Party.REQUESTER in self.parties and order.requester_id == self.actor.id:
            return Party.REQUESTER
        if (
            Party.COURIER in self.parties
            and order.courier_id == self.actor.id
            and self.actor.has_any("courier")
        ):
            return Party.COURIER
        if Party.ADMIN in self.parties and self.actor.has_any("admin"):
            return Party.ADMIN
        if (
            Party.RECIPIENT in self.parties
            and order.recipient_household_id is not None
            and self.actor.household_id == order.recipient_household_id
        ):
            return Party.RECIPIENT
        return None

    def check(self, order: Any) -> Party:
        party = self.party_of(order)
        if party is None:
            raise NotFound()
        return party

"""Request and response bodies of the payments API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from servicekit.text import Text


class PaymentIn(BaseModel):
    """What to pay for. The amount is not here on purpose: it comes from the referenced object."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["errand_order", "errand_goods", "tip", "property_bill", "repair_charge"]
    ref_id: uuid.UUID
    # The payer's openid for the mini-program's appid (JSAPI needs it; WeChat Pay checks it).
    openid: Text = Field(min_length=1, max_length=128)


class JsapiParams(BaseModel):
    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: Literal["RSA"]
    paySign: str


class RefundOut(BaseModel):
    id: str
    amount_fen: int
    reason: str
    status: Literal["pending", "processing", "succeeded", "failed"]
    created_at: str
    succeeded_at: str | None


class PaymentOut(BaseModel):
    id: str
    purpose: str
    ref_id: str
    amount_fen: int
    status: Literal["pending", "paid", "closed", "refunding", "refunded", "failed"]
    created_at: str
    paid_at: str | None
    refunds: list[RefundOut]


class PaymentCreated(PaymentOut):
    jsapi: JsapiParams


class LedgerEntryOut(BaseModel):
    id: str
    kind: str
    ref: str
    amount_fen: int
    at: str


class LedgerOut(BaseModel):
    account: Literal["resident", "courier"]
    balance_fen: int
    items: list[LedgerEntryOut]
    next_cursor: str | None


class ProviderAnswer(BaseModel):
    code: Literal["FAIL"]
    message: str

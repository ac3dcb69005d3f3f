"""Request and response bodies of the payments API.

The answers are servicekit.answers.Out models: they describe the JSON the routes and use cases
build (for /openapi.json and the generated web client) without changing a byte of it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from servicekit.answers import Id, Out, Timestamp
from servicekit.text import Text


class PaymentIn(BaseModel):
    """What to pay for. The amount is not here on purpose: it comes from the referenced object."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["errand_order", "errand_goods", "tip", "property_bill", "repair_charge"]
    ref_id: uuid.UUID
    # The payer's openid for the mini-program's appid (JSAPI needs it; WeChat Pay checks it).
    openid: Text = Field(min_length=1, max_length=128)


class JsapiParams(Out):
    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: Literal["RSA"]
    paySign: str


class RefundOut(Out):
    id: Id
    amount_fen: int
    reason: str
    status: Literal["pending", "processing", "succeeded", "failed"]
    created_at: Timestamp
    succeeded_at: Timestamp | None


class PaymentOut(Out):
    id: Id
    purpose: str
    ref_id: Id
    amount_fen: int
    status: Literal["pending", "paid", "closed", "refunding", "refunded", "failed"]
    created_at: Timestamp
    paid_at: Timestamp | None
    refunds: list[RefundOut]


class PaymentCreated(PaymentOut):
    jsapi: JsapiParams


class LedgerEntryOut(Out):
    id: str
    kind: str
    ref: str
    amount_fen: int
    at: Timestamp


class LedgerOut(Out):
    account: Literal["resident", "courier"]
    balance_fen: int
    items: list[LedgerEntryOut]
    next_cursor: str | None


class ProviderAnswer(BaseModel):
    code: Literal["FAIL"]
    message: str


# -- the office ------------------------------------------------------------------------------------
class PayoutOut(Out):
    id: Id
    courier_id: Id
    amount_fen: int
    status: str
    created_at: Timestamp


class TransferDetail(Out):
    out_detail_no: str
    transfer_amount: int
    transfer_remark: str
    courier_id: Id


class TransferInstruction(Out):
    """A batch in the shape of WeChat Pay's 商家转账 API (carried out by finance)."""

    out_batch_no: str | None
    batch_name: str
    batch_remark: str
    total_amount: int
    total_num: int
    transfer_detail_list: list[TransferDetail]


class PayoutsOut(Out):
    week: str
    payouts: list[PayoutOut]
    instruction: TransferInstruction


class DifferenceOut(Out):
    difference: Literal["missing_in_ledger", "missing_in_bill", "amount_differs"]
    kind: Literal["payment", "refund"]
    number: str
    bill_fen: int | None
    ledger_fen: int | None
    community_id: Id | None


class ReconciliationOut(Out):
    bill_date: str
    rows: int
    differences: list[DifferenceOut]


class AnomalyOut(Out):
    id: str
    kind: str
    out_trade_no: str | None
    detail: dict[str, Any]
    at: Timestamp


class AnomalyPage(Out):
    items: list[AnomalyOut]
    next_cursor: str | None


# -- property fees ---------------------------------------------------------------------------------
class FeeItemOut(Out):
    id: Id
    household_id: Id
    name: str
    basis: Literal["area", "fixed"]
    unit_price_fen: int
    area_m2: float | None
    period: Literal["month", "quarter", "year"]
    created_at: Timestamp


class FeeItemPage(Out):
    items: list[FeeItemOut]
    next_cursor: str | None


class FeeBillOut(Out):
    id: Id
    item_id: Id
    household_id: Id
    period_label: str
    amount_fen: int
    due_date: str
    status: Literal["issued", "paid"]
    overdue: bool
    issued_at: Timestamp
    paid_at: Timestamp | None
    payment_id: Id | None


class FeeBillPage(Out):
    items: list[FeeBillOut]
    next_cursor: str | None


class ReceiptOut(Out):
    title: str
    receipt_no: str
    bill_id: Id
    household_id: Id
    item: str
    period_label: str
    amount_fen: int
    amount_in_words: str
    paid_at: Timestamp
    payment_id: Id

"""Development only (mounted when GATEWAY_ENVIRONMENT=development): the SMS catcher's messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from gateway.adapters.sms import SmsCatcher
from servicekit.text import Text

router = APIRouter(prefix="/dev", tags=["development"])


class SmsOut(BaseModel):
    phone: str
    text: str
    code: str
    purpose: str
    sent_at: datetime


class SmsPage(BaseModel):
    items: list[SmsOut]


@router.get("/sms", response_model=SmsPage)
async def caught_sms(request: Request, phone: Annotated[Text | None, Query(max_length=20)] = None) -> SmsPage:
    """What the local catcher 'sent', newest first (empty when a real provider is configured)."""
    provider = request.app.state.sms
    caught = provider.for_phone(phone) if isinstance(provider, SmsCatcher) else []
    return SmsPage(
        items=[
            SmsOut(phone=m.phone, text=m.text, code=m.code, purpose=m.purpose, sent_at=m.sent_at)
            for m in caught
        ]
    )

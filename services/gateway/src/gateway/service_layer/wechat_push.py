"""WeChat subscription messages (订阅消息): the same notifications, pushed to users who signed in
with WeChat and granted the notification's template.

- The mini-program calls `wx.requestSubscribeMessage({tmplIds})`; for the templates the user
  accepted it posts `POST /api/v1/me/wechat-subscriptions {template_ids}`. Each accepted template
  is one one-shot grant (WeChat lets grants add up); :func:`subscribe` counts them.
- :func:`enqueue` runs in the transaction that writes notifications: a notification of a user who
  holds a grant of any template gets a `wechat_messages` row (unique per notification). A
  redelivered event writes no notification, so no second message.
- :class:`WeChatPush`, a job beside the consumer, sends due rows one per transaction (the row and
  the grant locked meanwhile, `SKIP LOCKED` for other replicas): sent spends a grant; 43101 (the
  user refused, or has no grant left at WeChat) spends it too and sets the count to zero; WeChat
  unreachable or busy retries with a growing delay, then gives up (`failed`). The consumer never
  waits for WeChat.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway import notification_texts
from gateway.adapters.tables import communities, notifications, users, wechat_messages, wechat_subscriptions
from gateway.adapters.wechat import USER_REFUSED, WeChatMessenger, WeChatUnavailable
from gateway.config import Settings, WeChatTemplate
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

_THING_MAX = 20  # WeChat's limit for `thing` values
_MAX_GRANTS = 1000


def _kinds_of(settings: Settings) -> dict[str, list[str]]:
    """template id -> the notification event types it carries."""
    out: dict[str, list[str]] = {}
    for event_type, template in sorted(settings.wechat_subscribe_templates.items()):
        out.setdefault(template.template_id, []).append(event_type)
    return out


async def list_subscriptions(uow: UnitOfWork, settings: Settings, user_id: uuid.UUID) -> dict[str, Any]:
    held = dict(
        (
            await uow.session.execute(
                select(wechat_subscriptions.c.template_id, wechat_subscriptions.c.remaining).where(
                    wechat_subscriptions.c.user_id == user_id
                )
            )
        ).all()
    )
    return {
        "items": [
            {"template_id": template_id, "event_types": kinds, "remaining": int(held.get(template_id, 0))}
            for template_id, kinds in _kinds_of(settings).items()
        ]
    }


async def subscribe(
    uow: UnitOfWork, settings: Settings, user_id: uuid.UUID, template_ids: list[str]
) -> dict[str, Any]:
    """One more one-shot grant for each template the user accepted in the mini-program."""
    openid = await uow.session.scalar(select(users.c.wechat_openid).where(users.c.id == user_id))
    if not openid:
        raise DomainError("wechat_not_linked", 409)
    known = _kinds_of(settings)
    unknown = sorted(set(template_ids) - set(known))
    if unknown:
        raise DomainError("wechat_template_unknown", 422, templates=", ".join(unknown))
    now = datetime.now(UTC)
    for template_id in dict.fromkeys(template_ids):
        await uow.session.execute(
            pg_insert(wechat_subscriptions)
            .values(user_id=user_id, template_id=template_id, remaining=1, updated_at=now)
            .on_conflict_do_update(
                constraint="wechat_subscriptions_pkey",
                set_={
                    "remaining": func.least(wechat_subscriptions.c.remaining + 1, _MAX_GRANTS),
                    "updated_at": now,
                },
            )
        )
    await uow.commit()
    return await list_subscriptions(uow, settings, user_id)


async def enqueue(uow: UnitOfWork, items: list[dict[str, Any]]) -> None:
    """In the notifications' transaction: a message row for each new notification of a user who
    holds a grant (which template is the job's question: configuration may change meanwhile)."""
    if not items:
        return
    user_ids = {item["user_id"] for item in items}
    granted = set(
        (
            await uow.session.scalars(
                select(wechat_subscriptions.c.user_id)
                .where(wechat_subscriptions.c.user_id.in_(user_ids), wechat_subscriptions.c.remaining > 0)
                .distinct()
            )
        ).all()
    )
    rows = [
        {"id": uuid.uuid4(), "notification_id": item["id"], "user_id": item["user_id"]}
        for item in items
        if item["user_id"] in granted
    ]
    if rows:
        await uow.session.execute(
            pg_insert(wechat_messages).values(rows).on_conflict_do_nothing(index_elements=["notification_id"])
        )


def _value(kind: str, title: str, body: str, at: datetime, timezone: str) -> str:
    if kind == "time":
        return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    text = title if kind == "title" else body
    return text if len(text) <= _THING_MAX else text[: _THING_MAX - 1] + "…"


def message_for(
    template: WeChatTemplate,
    *,
    openid: str,
    notification: Any,
    locale: str,
    timezone: str,
    settings: Settings,
) -> dict[str, Any]:
    """The body of `subscribeMessage.send` for one notification, in the reader's language."""
    title, body = notification_texts.render(
        notification.event_type, notification.data, locale, str(notification.user_id)
    )
    return {
        "touser": openid,
        "template_id": template.template_id,
        "page": f"{settings.wechat_subscribe_page}?id={notification.id}",
        "data": {
            key: {"value": _value(kind, title, body, notification.created_at, timezone)}
            for key, kind in template.fields.items()
        },
        "miniprogram_state": settings.wechat_miniprogram_state,
        # The mini-program's language when opened (WeChat knows zh_CN, en_US, zh_HK, zh_TW).
        "lang": "zh_CN" if locale == "zh-CN" else "en_US",
    }


class WeChatPush:
    """The job that sends due subscription messages (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        messenger: WeChatMessenger,
    ) -> None:
        self.settings = settings
        self.uow_factory = uow_factory
        self.messenger = messenger
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the job outlives any one failure; the row stays due
                log.exception("wechat_push_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.wechat_push_poll_seconds)

    async def run_once(self) -> int:
        """Send what is due, one message per transaction; the number handled."""
        handled = 0
        for _ in range(self.settings.wechat_push_batch):
            async with self.uow_factory() as uow:
                if not await self._one(uow):
                    break
                await uow.commit()
                handled += 1
        return handled

    async def _one(self, uow: UnitOfWork) -> bool:
        now = datetime.now(UTC)
        row = (
            await uow.session.execute(
                select(wechat_messages)
                .where(wechat_messages.c.status == "pending", wechat_messages.c.next_attempt_at <= now)
                .order_by(wechat_messages.c.next_attempt_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if row is None:
            return False
        found = (
            await uow.session.execute(
                select(notifications, users.c.wechat_openid, users.c.locale, communities.c.timezone)
                .join(users, users.c.id == notifications.c.user_id)
                .join(communities, communities.c.id == notifications.c.community_id)
                .where(notifications.c.id == row.notification_id)
            )
        ).first()
        template = self.settings.wechat_subscribe_templates.get(found.event_type) if found else None
        if found is None or template is None or not found.wechat_openid:
            await self._finish(uow, row.id, "skipped", now, "no template or openid")
            return True
        grant = await uow.session.scalar(
            select(wechat_subscriptions.c.remaining)
            .where(
                wechat_subscriptions.c.user_id == row.user_id,
                wechat_subscriptions.c.template_id == template.template_id,
            )
            .with_for_update()
        )
        if not grant:
            await self._finish(uow, row.id, "skipped", now, "no grant for the template")
            return True
        message = message_for(
            template,
            openid=found.wechat_openid,
            notification=found,
            locale=found.locale,
            timezone=found.timezone or "Asia/Shanghai",
            settings=self.settings,
        )
        try:
            result = await self.messenger.send(message)
        except WeChatUnavailable as exc:
            attempts = row.attempts + 1
            if attempts >= self.settings.wechat_push_max_attempts:
                await self._finish(uow, row.id, "failed", now, str(exc), attempts=attempts)
            else:
                await uow.session.execute(
                    update(wechat_messages)
                    .where(wechat_messages.c.id == row.id)
                    .values(
                        attempts=attempts,
                        last_error=str(exc)[:200],
                        next_attempt_at=now + timedelta(seconds=min(2**attempts, 300)),
                    )
                )
            return True
        spend = wechat_subscriptions.c.remaining - 1
        if result.errcode == 0:
            await self._finish(uow, row.id, "sent", now, None, sent=True)
        elif result.errcode == USER_REFUSED:
            spend = wechat_subscriptions.c.remaining * 0
            await self._finish(uow, row.id, "refused", now, f"{result.errcode} {result.errmsg}")
        else:  # our message or configuration is wrong: say so, spend nothing
            await self._finish(uow, row.id, "failed", now, f"{result.errcode} {result.errmsg}")
            return True
        await uow.session.execute(
            update(wechat_subscriptions)
            .where(
                wechat_subscriptions.c.user_id == row.user_id,
                wechat_subscriptions.c.template_id == template.template_id,
            )
            .values(remaining=spend, updated_at=now)
        )
        return True

    async def _finish(
        self,
        uow: UnitOfWork,
        message_id: uuid.UUID,
        status: str,
        now: datetime,
        error: str | None,
        *,
        attempts: int | None = None,
        sent: bool = False,
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error[:200] if error else None}
        if attempts is not None:
            values["attempts"] = attempts
        if sent:
            values["sent_at"] = now
        await uow.session.execute(
            update(wechat_messages).where(wechat_messages.c.id == message_id).values(**values)
        )


@contextlib.asynccontextmanager
async def wechat_push_job(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    """Lifespan hook: the push job, when the mini-program's credentials and at least one template
    are configured (`app.state.wechat_push`, None otherwise)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    app.state.wechat_push = None
    if not (settings.wechat_appid and settings.wechat_subscribe_templates):
        yield {}
        return
    messenger = WeChatMessenger(
        session=app.state.upstream_session,
        cache=runtime.redis,
        cache_key=f"{settings.redis_prefix}wechat:access_token:{settings.wechat_appid}",
        base_url=settings.wechat_api_base_url,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret.get_secret_value(),
        timeout_seconds=settings.wechat_timeout_seconds,
        refresh_margin_seconds=settings.wechat_token_refresh_margin_seconds,
    )
    job = WeChatPush(settings, runtime.uow, messenger)
    app.state.wechat_push = job
    job.start()
    try:
        yield {}
    finally:
        await job.stop()

"""What a notification says: a title and a body per event type in zh-CN, en and ko, and the link to
the object it is about.

Rendered when the notification is read (inbox, stream), from the event data stored with it, so the
text follows the reader's language of the moment. State, order-type and department names are
localised here too: a Chinese text never shows an id or an English state name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from servicekit.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, register_messages

# Not bus events: decisions the gateway itself takes and notifies in the same transaction.
CLAIM_DECIDED = "gateway.household_claim.decided.v1"
APPLICATION_DECIDED = "gateway.courier_application.decided.v1"

_Texts = Mapping[str, str]  # locale -> text

ORDER_TYPES: dict[str, _Texts] = {
    "buy": {"zh-CN": "帮买", "en": "shopping", "ko": "장보기 대행"},
    "deliver": {"zh-CN": "帮送", "en": "delivery", "ko": "배달 대행"},
    "pickup_parcel": {"zh-CN": "代取快递", "en": "parcel pickup", "ko": "택배 대리 수령"},
    "pay_bill": {"zh-CN": "代缴", "en": "bill payment", "ko": "공과금 대납"},
    "queue": {"zh-CN": "排队取号", "en": "queueing", "ko": "줄서기 대행"},
    "home_service": {"zh-CN": "家政维修", "en": "home service", "ko": "가사·수리 서비스"},
}

DEPARTMENTS: dict[str, _Texts] = {
    "property": {"zh-CN": "物业", "en": "property management", "ko": "관리사무소"},
    "heating": {"zh-CN": "供热公司", "en": "the heating company", "ko": "난방 회사"},
    "police": {"zh-CN": "社区民警", "en": "community police", "ko": "지역 경찰"},
    "urban_management": {"zh-CN": "城管", "en": "urban management", "ko": "도시관리"},
    "committee": {"zh-CN": "居委会", "en": "the residents' committee", "ko": "주민위원회"},
}

REPORT_STATES: dict[str, _Texts] = {
    "submitted": {"zh-CN": "待受理", "en": "submitted", "ko": "접수 대기"},
    "accepted": {"zh-CN": "已受理", "en": "accepted", "ko": "접수됨"},
    "assigned": {"zh-CN": "已派单", "en": "assigned", "ko": "배정됨"},
    "in_progress": {"zh-CN": "处理中", "en": "in progress", "ko": "처리 중"},
    "paused": {"zh-CN": "已暂停", "en": "paused", "ko": "일시 중지"},
    "resolved": {"zh-CN": "已解决", "en": "resolved", "ko": "해결됨"},
    "closed": {"zh-CN": "已办结", "en": "closed", "ko": "종결됨"},
    "reopened": {"zh-CN": "已重新打开", "en": "reopened", "ko": "재개됨"},
    "rejected": {"zh-CN": "已驳回", "en": "rejected", "ko": "반려됨"},
    "cancelled": {"zh-CN": "已撤销", "en": "cancelled", "ko": "취소됨"},
}

DISPUTE_STATES: dict[str, _Texts] = {
    "reported": {"zh-CN": "已登记", "en": "reported", "ko": "접수됨"},
    "triaged": {"zh-CN": "已分流", "en": "triaged", "ko": "분류됨"},
    "mediator_proposed": {"zh-CN": "已推荐调解员", "en": "mediator proposed", "ko": "조정인 제안됨"},
    "in_mediation": {"zh-CN": "调解中", "en": "in mediation", "ko": "조정 중"},
    "agreement_proposed": {"zh-CN": "调解协议待确认", "en": "agreement proposed", "ko": "합의안 제안됨"},
    "agreed": {"zh-CN": "已达成协议", "en": "agreed", "ko": "합의됨"},
    "monitoring": {"zh-CN": "履行回访中", "en": "follow-up", "ko": "이행 확인 중"},
    "resolved": {"zh-CN": "已化解", "en": "resolved", "ko": "해결됨"},
    "escalated": {"zh-CN": "已上报", "en": "escalated", "ko": "상급 이관됨"},
    "withdrawn": {"zh-CN": "已撤回", "en": "withdrawn", "ko": "철회됨"},
    "closed_not_dispute": {
        "zh-CN": "不属于纠纷，已关闭",
        "en": "closed (not a dispute)",
        "ko": "분쟁 아님(종료)",
    },
    "reopened": {"zh-CN": "已重新受理", "en": "reopened", "ko": "재개됨"},
}

DELIBERATION_STATES: dict[str, _Texts] = {
    "collecting": {"zh-CN": "征集议题", "en": "collecting support", "ko": "의제 모집"},
    "screening": {"zh-CN": "审核中", "en": "screening", "ko": "검토 중"},
    "deliberating": {"zh-CN": "协商讨论", "en": "deliberating", "ko": "협의 중"},
    "voting": {"zh-CN": "投票表决", "en": "voting", "ko": "투표 중"},
    "decided": {"zh-CN": "已形成决议", "en": "decided", "ko": "의결됨"},
    "acting": {"zh-CN": "落实中", "en": "being carried out", "ko": "실행 중"},
    "supervising": {"zh-CN": "监督中", "en": "under supervision", "ko": "감독 중"},
    "evaluating": {"zh-CN": "评议中", "en": "being evaluated", "ko": "평가 중"},
    "closed": {"zh-CN": "已结束", "en": "closed", "ko": "종료됨"},
    "rejected": {"zh-CN": "未通过", "en": "rejected", "ko": "부결됨"},
    "expired": {"zh-CN": "已过期", "en": "expired", "ko": "만료됨"},
}


def _pick(table: Mapping[str, _Texts], key: object, locale: str) -> str:
    texts = table.get(str(key))
    if texts is None:
        # A value this catalogue does not know yet: say nothing rather than show an English code.
        return {"zh-CN": "（未知）", "en": "(unknown)", "ko": "(알 수 없음)"}[locale]
    return texts[locale]


def _yuan(fen: object) -> str:
    return f"{int(str(fen or 0)) / 100:.2f}"


def _where(data: Mapping[str, Any], locale: str) -> str:
    building = data.get("building")
    if not building:
        return ""
    return {"zh-CN": f"（{building}楼）", "en": f" (building {building})", "ko": f" ({building}동)"}[locale]


# Each renderer: (data, locale, reader id) -> (title, body).
_Renderer = Callable[[Mapping[str, Any], str, str], tuple[str, str]]


def _fixed(titles: _Texts, bodies: _Texts) -> _Renderer:
    def render(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
        params = {
            "type": _pick(ORDER_TYPES, data.get("order_type"), locale),
            "dept": _pick(DEPARTMENTS, data.get("department"), locale),
            "where": _where(data, locale),
        }
        return titles[locale], bodies[locale].format(**params)

    return render


def _order_created(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    kind = _pick(ORDER_TYPES, data.get("order_type"), locale)
    if reader != str(data.get("requester_id")):
        # The recipient (someone ordered for their household): the code is in the order.
        title = {
            "zh-CN": "有人为您下了跑腿订单",
            "en": "An errand is on its way to you",
            "ko": "회원님께 심부름이 주문되었습니다",
        }
        body = {
            "zh-CN": f"家人为您下了一笔{kind}订单，送达时请向跑腿员出示收货码，收货码可在订单详情中查看。",
            "en": f"Someone ordered a {kind} errand for you. When it arrives, show the courier "
            "the delivery code from the order details.",
            "ko": f"가족이 회원님께 {kind} 주문을 했습니다. "
            "도착하면 주문 상세의 수령 코드를 배달원에게 보여 주세요.",
        }
        return title[locale], body[locale]
    title = {"zh-CN": "订单已发布", "en": "Your errand is posted", "ko": "심부름이 등록되었습니다"}
    body = {
        "zh-CN": f"您的{kind}订单已发布，正在为您寻找跑腿员。",
        "en": f"Your {kind} errand is posted; we are finding a courier.",
        "ko": f"{kind} 주문이 등록되었습니다. 배달원을 찾고 있습니다.",
    }
    return title[locale], body[locale]


def _order_recipient_code(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    """To a recipient named by phone who has an account: the code itself (they cannot read the
    order, which is the requester's)."""
    kind = _pick(ORDER_TYPES, data.get("order_type"), locale)
    code = str(data.get("delivery_code") or "")
    title = {
        "zh-CN": "您有一笔跑腿订单待收货",
        "en": "An errand is on its way to you",
        "ko": "받으실 심부름이 있습니다",
    }
    body = {
        "zh-CN": f"有人为您下了一笔{kind}订单，收货码 {code}，送达时请告诉跑腿员。",
        "en": f"Someone ordered a {kind} errand for you. "
        f"Your delivery code is {code}: tell it to the courier.",
        "ko": f"누군가 회원님께 {kind} 주문을 했습니다. 수령 코드는 {code}입니다. 배달원에게 알려 주세요.",
    }
    return title[locale], body[locale]


def _order_completed(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    kind = _pick(ORDER_TYPES, data.get("order_type"), locale)
    tip = int(str(data.get("tip_fen") or 0))
    title = {"zh-CN": "订单已完成", "en": "Errand completed", "ko": "심부름이 완료되었습니다"}
    extra = {
        "zh-CN": f"，收到小费 {_yuan(tip)} 元",
        "en": f", with a tip of ¥{_yuan(tip)}",
        "ko": f", 팁 {_yuan(tip)}위안",
    }
    body = {
        "zh-CN": "您配送的{kind}订单已完成{extra}。",
        "en": "The {kind} errand you delivered is completed{extra}.",
        "ko": "배달하신 {kind} 주문이 완료되었습니다{extra}.",
    }
    return title[locale], body[locale].format(kind=kind, extra=extra[locale] if tip else "")


def _report_status(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    to_status = data.get("to_status")
    if to_status == "assigned" and reader == str(data.get("assignee_id")):
        title = {"zh-CN": "您有新的派单", "en": "A report was assigned to you", "ko": "민원이 배정되었습니다"}
        body = {
            "zh-CN": "一条报事{where}已派给您，请尽快处理。",
            "en": "A report{where} was assigned to you; please handle it soon.",
            "ko": "민원{where}이 회원님께 배정되었습니다. 빨리 처리해 주세요.",
        }
        return title[locale], body[locale].format(where=_where(data, locale))
    state = _pick(REPORT_STATES, to_status, locale)
    before = _pick(REPORT_STATES, data.get("from_status"), locale)
    title = {"zh-CN": f"报事{state}", "en": f"Report {state}", "ko": f"민원 {state}"}
    body = {
        "zh-CN": f"您关注的报事由“{before}”变为“{state}”。",
        "en": f"A report you follow went from “{before}” to “{state}”.",
        "ko": f"관심 민원의 상태가 ‘{before}’에서 ‘{state}’(으)로 바뀌었습니다.",
    }
    return title[locale], body[locale]


def _report_overdue(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    dept = _pick(DEPARTMENTS, data.get("department"), locale)
    where = _where(data, locale)
    title = {"zh-CN": "报事已超时", "en": "Report overdue", "ko": "민원 처리 기한 초과"}
    if data.get("kind") == "accept":
        body = {
            "zh-CN": f"{dept}的一条报事{where}超过受理时限仍未受理，已上报居委会。",
            "en": f"A report{where} for {dept} was not accepted in time "
            "and has been escalated to the committee.",
            "ko": f"{dept} 담당 민원{where}이 접수 기한을 넘겨 주민위원회에 보고되었습니다.",
        }
    else:
        body = {
            "zh-CN": f"{dept}的一条报事{where}超过办结时限仍未解决，已上报居委会。",
            "en": f"A report{where} for {dept} was not resolved in time "
            "and has been escalated to the committee.",
            "ko": f"{dept} 담당 민원{where}이 처리 기한을 넘겨 주민위원회에 보고되었습니다.",
        }
    return title[locale], body[locale]


def _report_rated(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    stars = int(str(data.get("overall") or 0))
    title = {"zh-CN": "收到居民评价", "en": "A resident rated your work", "ko": "주민 평가가 도착했습니다"}
    body = {
        "zh-CN": f"居民对您处理的报事给出了 {stars} 星评价。",
        "en": f"A resident gave {stars} stars to a report you handled.",
        "ko": f"처리하신 민원에 주민이 별 {stars}개를 주었습니다.",
    }
    return title[locale], body[locale]


def _report_urged(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    state = _pick(REPORT_STATES, data.get("status"), locale)
    title = {"zh-CN": "居民催单", "en": "A resident is waiting", "ko": "민원 처리 독촉"}
    body = {
        "zh-CN": f"居民催促尽快处理一条报事{_where(data, locale)}，当前状态：{state}。",
        "en": f"A resident asks for a report{_where(data, locale)} to be handled soon (now {state}).",
        "ko": f"주민이 민원{_where(data, locale)}의 빠른 처리를 요청했습니다(현재: {state}).",
    }
    return title[locale], body[locale]


def _dispute(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    state = _pick(DISPUTE_STATES, data.get("to_state"), locale)
    title = {"zh-CN": "纠纷调解有新进展", "en": "Dispute update", "ko": "분쟁 조정 진행 상황"}
    body = {
        "zh-CN": f"您参与的纠纷调解现在{'' if state.startswith('已') else '处于'}“{state}”。",
        "en": f"A dispute you are part of is now: {state}.",
        "ko": f"참여 중인 분쟁 조정이 ‘{state}’ 단계입니다.",
    }
    return title[locale], body[locale]


def _deliberation(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    state = _pick(DELIBERATION_STATES, data.get("to_state"), locale)
    topic = str(data.get("title") or "")
    title = {"zh-CN": "议事有新进展", "en": "Deliberation update", "ko": "주민 협의 진행 상황"}
    body = {
        "zh-CN": f"议题“{topic}”进入“{state}”阶段。",
        "en": f"The topic “{topic}” is now: {state}.",
        "ko": f"의제 ‘{topic}’이(가) ‘{state}’ 단계가 되었습니다.",
    }
    return title[locale], body[locale]


def _hotspot(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    keyword = str(data.get("keyword") or "")
    where = _where(data, locale)
    count = int(str(data.get("count") or 0))
    title = {"zh-CN": "发现热点问题", "en": "A concern is rising", "ko": "급증하는 민원 감지"}
    body = {
        "zh-CN": f"近期关于“{keyword}”的反映明显增多{where}（{count} 条），建议未诉先办。",
        "en": f"Mentions of “{keyword}” are rising{where} ({count}); act before complaints arrive.",
        "ko": f"‘{keyword}’ 관련 글이 급증했습니다{where}({count}건). 민원 전에 먼저 살펴 주세요.",
    }
    return title[locale], body[locale]


def _decision(subject: _Texts) -> _Renderer:
    def render(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
        approved = data.get("status") == "approved"
        what = subject[locale]
        if approved:
            title = {"zh-CN": f"{what}已通过", "en": f"{what} approved", "ko": f"{what}이 승인되었습니다"}
            body = {
                "zh-CN": f"您提交的{what}已审核通过。",
                "en": f"Your {what.lower()} was approved.",
                "ko": f"제출하신 {what}이 승인되었습니다.",
            }
        else:
            title = {"zh-CN": f"{what}未通过", "en": f"{what} declined", "ko": f"{what}이 반려되었습니다"}
            body = {
                "zh-CN": f"您提交的{what}未通过审核，如有疑问请联系居委会。",
                "en": f"Your {what.lower()} was declined; ask the residents' committee if in doubt.",
                "ko": f"제출하신 {what}이 반려되었습니다. 궁금한 점은 주민위원회에 문의하세요.",
            }
        return title[locale], body[locale]

    return render


def _order_settled(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    earned = _yuan(data.get("courier_earnings_fen"))
    title = {"zh-CN": "收入已入账", "en": "Earnings credited", "ko": "수입이 입금되었습니다"}
    body = {
        "zh-CN": f"您配送的{{kind}}订单收入 {earned} 元已计入您的账户，将在每周结算时发放。",
        "en": f"¥{earned} from the {{kind}} errand you delivered is in your account; it is paid out weekly.",
        "ko": f"배달하신 {{kind}} 주문의 수입 {earned}위안이 계정에 적립되었습니다. 매주 정산됩니다.",
    }
    return title[locale], body[locale].format(kind=_pick(ORDER_TYPES, data.get("order_type"), locale))


def _refund_succeeded(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    amount = _yuan(data.get("refund_fen"))
    title = {"zh-CN": "退款已到账", "en": "Refund made", "ko": "환불되었습니다"}
    body = {
        "zh-CN": f"{amount} 元已原路退回您的微信支付账户。",
        "en": f"¥{amount} was refunded to the WeChat Pay account you paid with.",
        "ko": f"{amount}위안이 결제하신 위챗페이 계정으로 환불되었습니다.",
    }
    return title[locale], body[locale]


def _payment_closed(data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    amount = _yuan(data.get("amount_fen"))
    title = {"zh-CN": "支付未完成", "en": "Payment not completed", "ko": "결제가 완료되지 않았습니다"}
    body = {
        "zh-CN": f"{amount} 元的支付已关闭，没有扣款；如需继续，请重新支付。",
        "en": f"The payment of ¥{amount} was closed and nothing was charged; pay again to go on.",
        "ko": f"{amount}위안 결제가 종료되었고 청구되지 않았습니다. 계속하려면 다시 결제해 주세요.",
    }
    return title[locale], body[locale]


_RENDERERS: dict[str, _Renderer] = {
    "errand.order.settled.v1": _order_settled,
    "payments.refund.succeeded.v1": _refund_succeeded,
    "payments.payment.failed.v1": _payment_closed,
    "errand.order.created.v1": _order_created,
    "errand.order.recipient_code.v1": _order_recipient_code,
    "errand.order.accepted.v1": _fixed(
        {"zh-CN": "跑腿员已接单", "en": "Your errand has been accepted", "ko": "심부름이 접수되었습니다"},
        {
            "zh-CN": "您的跑腿订单已被接单，跑腿员正在处理您的{type}订单。",
            "en": "A courier accepted your {type} errand and is on it.",
            "ko": "배달원이 {type} 주문을 수락했습니다.",
        },
    ),
    "errand.order.picked_up.v1": _fixed(
        {"zh-CN": "跑腿员已取货", "en": "Your errand is on its way", "ko": "배달이 출발했습니다"},
        {
            "zh-CN": "您的{type}订单已取货，正在送往您处。",
            "en": "The courier picked up your {type} errand and is on the way.",
            "ko": "배달원이 {type} 물품을 받아 가는 중입니다.",
        },
    ),
    "errand.order.delivered.v1": _fixed(
        {"zh-CN": "订单已送达", "en": "Your errand was delivered", "ko": "배달이 완료되었습니다"},
        {
            "zh-CN": "您的{type}订单已送达，请确认收货；24 小时后将自动完成。",
            "en": "Your {type} errand was delivered. Please confirm; it completes by itself after 24 hours.",
            "ko": "{type} 주문이 도착했습니다. 수령을 확인해 주세요. 24시간 후 자동 완료됩니다.",
        },
    ),
    "errand.order.completed.v1": _order_completed,
    "errand.order.cancelled.v1": _fixed(
        {"zh-CN": "订单已取消", "en": "Errand cancelled", "ko": "주문이 취소되었습니다"},
        {
            "zh-CN": "您接的{type}订单已被下单人取消，无需继续配送。",
            "en": "The requester cancelled the {type} errand you accepted; no need to go on.",
            "ko": "수락하신 {type} 주문을 주문자가 취소했습니다.",
        },
    ),
    "errand.order.expired.v1": _fixed(
        {"zh-CN": "订单暂无人接单", "en": "No courier took your errand", "ko": "배달원을 찾지 못했습니다"},
        {
            "zh-CN": "您的{type}订单在规定时间内无人接单，已自动关闭，可以重新下单。",
            "en": "Nobody took your {type} errand in time, so it was closed. You can order again.",
            "ko": "{type} 주문을 받을 배달원이 없어 자동 종료되었습니다. 다시 주문할 수 있습니다.",
        },
    ),
    "reports.report.submitted.v1": _fixed(
        {"zh-CN": "新报事待受理", "en": "New report to handle", "ko": "새 민원이 접수되었습니다"},
        {
            "zh-CN": "{dept}收到一条新的报事{where}，请及时受理。",
            "en": "A new report{where} came in for {dept}; please accept it soon.",
            "ko": "{dept}에 새 민원{where}이 접수되었습니다. 빨리 확인해 주세요.",
        },
    ),
    "reports.report.status_changed.v1": _report_status,
    "reports.report.overdue.v1": _report_overdue,
    "reports.report.rated.v1": _report_rated,
    "reports.report.urged.v1": _report_urged,
    "forum.post.mentioned.v1": _fixed(
        {"zh-CN": "有邻居@了您", "en": "You were mentioned", "ko": "회원님이 언급되었습니다"},
        {
            "zh-CN": "邻居在帖子中提到了您，快去看看吧。",
            "en": "A neighbour mentioned you in a post.",
            "ko": "이웃이 게시글에서 회원님을 언급했습니다.",
        },
    ),
    "forum.dispute.state_changed.v1": _dispute,
    "forum.deliberation.state_changed.v1": _deliberation,
    "forum.hotspot.detected.v1": _hotspot,
    CLAIM_DECIDED: _decision({"zh-CN": "住户认证申请", "en": "Household claim", "ko": "세대 인증 신청"}),
    APPLICATION_DECIDED: _decision({"zh-CN": "跑腿员申请", "en": "Courier application", "ko": "배달원 신청"}),
}

_LINKS: dict[str, tuple[str, str]] = {
    "payments.": ("payment", "payment_id"),
    "errand.order.": ("errand_order", "order_id"),
    "reports.report.": ("report", "report_id"),
    "forum.post.mentioned.": ("forum_thread", "thread_id"),
    "forum.dispute.": ("dispute", "dispute_id"),
    "forum.deliberation.": ("deliberation", "deliberation_id"),
    "forum.hotspot.": ("hotspot", "hotspot_id"),
    CLAIM_DECIDED: ("household_claim", "claim_id"),
    APPLICATION_DECIDED: ("courier_application", "application_id"),
}


def known_event_types() -> frozenset[str]:
    return frozenset(_RENDERERS)


def link(event_type: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    for prefix, (kind, field) in _LINKS.items():
        if event_type.startswith(prefix) and data.get(field):
            return {"type": kind, "id": str(data[field])}
    return None


def render(event_type: str, data: Mapping[str, Any], locale: str, reader: str) -> tuple[str, str]:
    """(title, body) of a notification for ``reader`` in ``locale``."""
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    renderer = _RENDERERS.get(event_type)
    if renderer is None:
        fallback = {"zh-CN": "新通知", "en": "New notification", "ko": "새 알림"}
        return fallback[locale], ""
    return renderer(data, locale, reader)


register_messages(
    {
        "stream_ticket_invalid": {
            "zh-CN": ("通知连接凭证无效", "该凭证已使用或已过期，请重新获取。"),
            "en": ("Stream ticket not valid", "This ticket was used or has expired; ask for a new one."),
            "ko": ("알림 연결 티켓이 유효하지 않습니다", "이미 사용했거나 만료된 티켓입니다."),
        },
        "stream_unavailable": {
            "zh-CN": ("通知服务暂不可用", "实时通知暂时无法连接，请稍后再试。"),
            "en": ("Notifications unavailable", "Live notifications cannot be reached now; try again soon."),
            "ko": (
                "알림을 사용할 수 없습니다",
                "실시간 알림에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
            ),
        },
    }
)

"""Every problem code of the errand service in zh-CN (default), en and ko."""

from servicekit.i18n import localise_params, register_messages, register_terms

register_messages(
    {
        "order_transition_not_allowed": {
            "zh-CN": ("订单状态不允许此操作", "订单当前状态为 {status}，不能执行 {action}。"),
            "en": ("Not allowed in this state", "The order is {status}; it cannot {action} now."),
            "ko": ("현재 상태에서 불가", "주문 상태가 {status}이므로 {action}을(를) 할 수 없습니다."),
        },
        "order_already_taken": {
            "zh-CN": ("订单已被抢", "该订单已被其他跑腿员接单。"),
            "en": ("Order already taken", "Another courier has already accepted this order."),
            "ko": ("이미 접수된 주문", "다른 배달원이 이미 이 주문을 수락했습니다."),
        },
        "cannot_accept_own_order": {
            "zh-CN": ("不能接自己的订单", "您不能接自己发布的订单。"),
            "en": ("Own order", "You cannot accept an order you placed yourself."),
            "ko": ("본인 주문", "본인이 등록한 주문은 수락할 수 없습니다."),
        },
        "courier_not_verified": {
            "zh-CN": ("跑腿员未认证", "您的跑腿员资格尚未生效或已被撤销。"),
            "en": ("Courier not verified", "Your courier profile is not active yet or was revoked."),
            "ko": ("배달원 미인증", "배달원 자격이 아직 활성화되지 않았거나 취소되었습니다."),
        },
        "courier_offline": {
            "zh-CN": ("请先上线", "请先上线并上报位置，再查看或接单。"),
            "en": ("You are offline", "Go online and share your location first."),
            "ko": ("오프라인 상태", "먼저 온라인으로 전환하고 위치를 공유해 주세요."),
        },
        "courier_at_capacity": {
            "zh-CN": ("同时接单已达上限", "您当前等级（{level}）最多同时进行 {max_jobs} 单。"),
            "en": (
                "Too many jobs",
                "At your level ({level}) you can hold at most {max_jobs} orders at once.",
            ),
            "ko": (
                "동시 주문 한도 초과",
                "현재 등급({level})에서는 최대 {max_jobs}건까지 동시에 진행할 수 있습니다.",
            ),
        },
        "release_window_passed": {
            "zh-CN": ("已超过可退单时间", "接单后 {window_seconds} 秒内才能退单。"),
            "en": (
                "Too late to release",
                "An order can be released only within {window_seconds} s of accepting.",
            ),
            "ko": ("반납 가능 시간 초과", "수락 후 {window_seconds}초 이내에만 반납할 수 있습니다."),
        },
        "release_daily_limit_reached": {
            "zh-CN": ("今日退单次数已用完", "每天最多退单 {daily_limit} 次。"),
            "en": ("Release limit reached", "You can release at most {daily_limit} orders a day."),
            "ko": ("반납 한도 초과", "하루 최대 {daily_limit}건까지 반납할 수 있습니다."),
        },
        "delivery_code_incorrect": {
            "zh-CN": ("收货码错误", "收货码不正确，还可尝试 {attempts_left} 次。"),
            "en": ("Wrong delivery code", "The delivery code is wrong; {attempts_left} attempts left."),
            "ko": ("수령 코드 오류", "수령 코드가 틀렸습니다. {attempts_left}번 더 시도할 수 있습니다."),
        },
        "delivery_code_locked": {
            "zh-CN": ("收货码已锁定", "收货码错误次数已达 {max_attempts} 次，请联系下单人。"),
            "en": ("Delivery code locked", "{max_attempts} wrong codes were entered; contact the requester."),
            "ko": ("수령 코드 잠김", "{max_attempts}번 틀려 잠겼습니다. 주문자에게 연락해 주세요."),
        },
        "order_already_rated": {
            "zh-CN": ("已评价", "每个订单只能评价一次。"),
            "en": ("Already rated", "An order can be rated once."),
            "ko": ("이미 평가함", "주문은 한 번만 평가할 수 있습니다."),
        },
        "order_not_delivered_yet": {
            "zh-CN": ("订单尚未送达", "送达后才能评价或打赏（当前状态 {status}）。"),
            "en": ("Not delivered yet", "Rate or tip after delivery (the order is {status})."),
            "ko": ("아직 배달 전", "배달 후에 평가하거나 팁을 줄 수 있습니다(현재 {status})."),
        },
        "quote_expired": {
            "zh-CN": ("报价已过期", "报价已于 {expired_at} 过期，请重新询价。"),
            "en": ("Quote expired", "The quote expired at {expired_at}. Ask for a new one."),
            "ko": ("견적 만료", "견적이 {expired_at}에 만료되었습니다. 다시 요청해 주세요."),
        },
        "quote_not_found": {
            "zh-CN": ("报价不存在", "找不到该报价。"),
            "en": ("Quote not found", "There is no such quote."),
            "ko": ("견적 없음", "해당 견적을 찾을 수 없습니다."),
        },
        "quote_already_used": {
            "zh-CN": ("报价已下单", "该报价已生成订单 {order_id}。"),
            "en": ("Quote already used", "This quote already became order {order_id}."),
            "ko": ("이미 사용된 견적", "이 견적으로 이미 주문 {order_id}이(가) 생성되었습니다."),
        },
        "outside_service_area": {
            "zh-CN": ("超出服务范围", "距离 {distance_m} 米，超出 {max_distance_m} 米的服务范围。"),
            "en": (
                "Outside the service area",
                "{distance_m} m is beyond the {max_distance_m} m service area.",
            ),
            "ko": ("서비스 지역 밖", "{distance_m}m로 서비스 범위 {max_distance_m}m를 넘습니다."),
        },
        "order_details_invalid": {
            "zh-CN": ("订单信息不完整", "{type}订单需要有效的 {field}。"),
            "en": ("Order details invalid", "An order of type {type} needs a valid {field}."),
            "ko": ("주문 정보 부족", "{type} 유형의 주문에는 올바른 {field}이(가) 필요합니다."),
        },
        "recipient_household_unknown": {
            "zh-CN": ("收件住户不存在", "本社区没有该已认证住户，请填写收件人姓名和电话。"),
            "en": (
                "Recipient household unknown",
                "No verified household of this community has that id; give a name and phone instead.",
            ),
            "ko": (
                "수령 세대 없음",
                "이 커뮤니티에 인증된 해당 세대가 없습니다. 이름과 전화번호를 입력해 주세요.",
            ),
        },
        "location_required": {
            "zh-CN": ("需要位置", "上线时请上报经纬度。"),
            "en": ("Location required", "Send lat and lng when going online."),
            "ko": ("위치 필요", "온라인 전환 시 위도와 경도를 보내 주세요."),
        },
    }
)

# The names a detail quotes: an order's state, the step refused and the order type, never the
# English code inside Chinese or Korean text.
register_terms(
    "errand.status",
    {
        "dispatching": {"zh-CN": "待接单", "en": "waiting for a courier", "ko": "배차 대기"},
        "accepted": {"zh-CN": "已接单", "en": "accepted", "ko": "수락됨"},
        "arrived": {"zh-CN": "已到店", "en": "at the pickup", "ko": "픽업지 도착"},
        "picked_up": {"zh-CN": "配送中", "en": "picked up", "ko": "배달 중"},
        "delivered": {"zh-CN": "已送达", "en": "delivered", "ko": "배달 완료"},
        "completed": {"zh-CN": "已完成", "en": "completed", "ko": "완료됨"},
        "expired": {"zh-CN": "已过期", "en": "expired", "ko": "만료됨"},
        "cancelled": {"zh-CN": "已取消", "en": "cancelled", "ko": "취소됨"},
        "failed": {"zh-CN": "配送失败", "en": "failed", "ko": "배달 실패"},
    },
)
register_terms(
    "errand.action",
    {
        "accept": {"zh-CN": "接单", "en": "accept it", "ko": "수락"},
        "arrive": {"zh-CN": "到店", "en": "arrive", "ko": "도착 처리"},
        "pickup": {"zh-CN": "取货", "en": "pick it up", "ko": "픽업"},
        "deliver": {"zh-CN": "送达", "en": "deliver it", "ko": "배달 완료 처리"},
        "confirm": {"zh-CN": "确认收货", "en": "confirm it", "ko": "수령 확인"},
        "auto_complete": {"zh-CN": "自动完成", "en": "complete it", "ko": "자동 완료"},
        "expire": {"zh-CN": "过期", "en": "expire it", "ko": "만료 처리"},
        "cancel": {"zh-CN": "取消", "en": "cancel it", "ko": "취소"},
        "release": {"zh-CN": "退单", "en": "release it", "ko": "반납"},
        "fail": {"zh-CN": "报告配送失败", "en": "report it failed", "ko": "배달 실패 처리"},
    },
)
register_terms(
    "errand.order_type",
    {
        "buy": {"zh-CN": "帮买", "en": "shopping", "ko": "장보기 대행"},
        "deliver": {"zh-CN": "帮送", "en": "delivery", "ko": "배달 대행"},
        "pickup_parcel": {"zh-CN": "代取快递", "en": "parcel pickup", "ko": "택배 대리 수령"},
        "pay_bill": {"zh-CN": "代缴", "en": "bill payment", "ko": "공과금 대납"},
        "queue": {"zh-CN": "排队取号", "en": "queueing", "ko": "줄서기 대행"},
        "home_service": {"zh-CN": "家政维修", "en": "home service", "ko": "가사·수리 서비스"},
    },
)
localise_params("order_transition_not_allowed", status="errand.status", action="errand.action")
localise_params("order_not_delivered_yet", status="errand.status")
localise_params("order_details_invalid", type="errand.order_type")

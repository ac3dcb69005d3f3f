"""Every problem code of the payments service in zh-CN, en and ko (imported by main.py), and the
messages of the answers to WeChat Pay's callbacks."""

from servicekit.i18n import register_messages

register_messages(
    {
        "payment_illegal_transition": {
            "zh-CN": ("当前状态不能执行此操作", "支付单处于「{status}」状态，不能执行「{action}」。"),
            "en": ("Not possible in this state", "The payment is {status}; {action} is not possible now."),
            "ko": ("현재 상태에서 불가", "결제가 {status} 상태라서 {action}을(를) 할 수 없습니다."),
        },
        "refund_illegal_transition": {
            "zh-CN": ("退款状态不允许此操作", "退款处于「{status}」状态，不能执行「{action}」。"),
            "en": ("Not possible for this refund", "The refund is {status}; {action} is not possible now."),
            "ko": ("현재 환불 상태에서 불가", "환불이 {status} 상태라서 {action}을(를) 할 수 없습니다."),
        },
        "payment_nothing_due": {
            "zh-CN": ("无需支付", "该订单或账单没有待支付的金额。"),
            "en": ("Nothing to pay", "Nothing is due for this order or bill."),
            "ko": ("결제할 금액 없음", "이 주문이나 청구서에 결제할 금액이 없습니다."),
        },
        "payment_not_payable_now": {
            "zh-CN": ("现在不能支付", "订单处于「{status}」状态，现在不能支付。"),
            "en": ("Cannot pay now", "The order is {status}; it cannot be paid now."),
            "ko": ("지금은 결제 불가", "주문이 {status} 상태라서 지금은 결제할 수 없습니다."),
        },
        "payment_purpose_unsupported": {
            "zh-CN": ("暂不支持该支付类型", "暂不支持「{purpose}」类型的支付。"),
            "en": ("Payment type not supported", "Payments for {purpose} are not supported yet."),
            "ko": ("지원하지 않는 결제 유형", "{purpose} 결제는 아직 지원하지 않습니다."),
        },
        "payment_openid_required": {
            "zh-CN": ("缺少付款人标识", "微信支付需要付款人的 openid。"),
            "en": ("Payer id required", "WeChat Pay needs the payer's openid."),
            "ko": ("결제자 식별자 필요", "위챗페이 결제에는 결제자의 openid가 필요합니다."),
        },
        "payment_provider_unconfigured": {
            "zh-CN": ("暂未开通在线支付", "本系统尚未配置微信支付，请联系管理员。"),
            "en": (
                "Online payment not available",
                "WeChat Pay is not configured on this system; ask the administrator.",
            ),
            "ko": (
                "온라인 결제 미개통",
                "이 시스템에는 위챗페이가 설정되지 않았습니다. 관리자에게 문의해 주세요.",
            ),
        },
        "payment_provider_unavailable": {
            "zh-CN": ("支付服务暂时不可用", "微信支付暂时没有响应，请稍后重试。"),
            "en": (
                "Payment temporarily unavailable",
                "WeChat Pay is not answering; please try again shortly.",
            ),
            "ko": ("결제 일시 불가", "위챗페이가 응답하지 않습니다. 잠시 후 다시 시도해 주세요."),
        },
        "payment_provider_refused": {
            "zh-CN": ("微信支付拒绝了该请求", "微信支付返回「{code}」。"),
            "en": ("WeChat Pay refused the request", "WeChat Pay answered {code}."),
            "ko": ("위챗페이가 요청을 거절함", "위챗페이 응답: {code}."),
        },
        "refund_exceeds_paid": {
            "zh-CN": ("退款金额超过实付金额", "退款金额不能超过已支付且未退的金额。"),
            "en": (
                "Refund exceeds what was paid",
                "A refund cannot exceed what was paid and not yet refunded.",
            ),
            "ko": ("환불 금액 초과", "환불 금액은 결제 후 환불되지 않은 금액을 넘을 수 없습니다."),
        },
        "fee_bill_exists": {
            "zh-CN": ("账单已存在", "该收费项目在「{period}」期间的账单已开出。"),
            "en": ("Bill already issued", "This fee item already has a bill for {period}."),
            "ko": ("청구서 이미 발행됨", "이 항목의 {period} 청구서가 이미 발행되었습니다."),
        },
        "fee_bill_unpaid": {
            "zh-CN": ("账单未缴", "账单缴费后才有收据。"),
            "en": ("Bill not paid", "A receipt exists once the bill is paid."),
            "ko": ("미납 청구서", "납부 후에 영수증이 발급됩니다."),
        },
        # The receipt's heading (title only).
        "fee_receipt": {
            "zh-CN": ("物业费收据", "物业费收据"),
            "en": ("Property fee receipt", "Property fee receipt"),
            "ko": ("관리비 영수증", "관리비 영수증"),
        },
        # Answers to WeChat Pay's callbacks ({"code": "FAIL", "message": ...}).
        "wechatpay_missing_headers": {
            "zh-CN": ("验签失败", "缺少微信支付签名头。"),
            "en": ("Not verified", "WeChat Pay signature headers are missing."),
            "ko": ("서명 검증 실패", "위챗페이 서명 헤더가 없습니다."),
        },
        "wechatpay_bad_timestamp": {
            "zh-CN": ("验签失败", "时间戳格式错误。"),
            "en": ("Not verified", "The timestamp is malformed."),
            "ko": ("서명 검증 실패", "타임스탬프 형식이 잘못되었습니다."),
        },
        "wechatpay_stale_timestamp": {
            "zh-CN": ("验签失败", "时间戳已过期。"),
            "en": ("Not verified", "The timestamp is stale."),
            "ko": ("서명 검증 실패", "타임스탬프가 만료되었습니다."),
        },
        "wechatpay_unknown_serial": {
            "zh-CN": ("验签失败", "未知的平台证书序列号。"),
            "en": ("Not verified", "Unknown platform certificate serial."),
            "ko": ("서명 검증 실패", "알 수 없는 플랫폼 인증서 일련번호입니다."),
        },
        "wechatpay_bad_signature": {
            "zh-CN": ("验签失败", "签名错误。"),
            "en": ("Not verified", "The signature is wrong."),
            "ko": ("서명 검증 실패", "서명이 올바르지 않습니다."),
        },
        "wechatpay_bad_algorithm": {
            "zh-CN": ("解密失败", "不支持的加密算法。"),
            "en": ("Not decrypted", "Unsupported encryption algorithm."),
            "ko": ("복호화 실패", "지원하지 않는 암호화 알고리즘입니다."),
        },
        "wechatpay_undecryptable": {
            "zh-CN": ("解密失败", "通知内容无法解密。"),
            "en": ("Not decrypted", "The resource could not be decrypted."),
            "ko": ("복호화 실패", "알림 내용을 복호화할 수 없습니다."),
        },
        "wechatpay_unknown_order": {
            "zh-CN": ("订单不存在", "商户订单号不存在。"),
            "en": ("Unknown order", "No such merchant order number."),
            "ko": ("주문 없음", "해당 가맹점 주문번호가 없습니다."),
        },
        "wechatpay_amount_mismatch": {
            "zh-CN": ("订单信息不符", "订单金额或商户信息与本系统记录不符。"),
            "en": ("Order mismatch", "The amount or merchant does not match our order."),
            "ko": ("주문 정보 불일치", "금액 또는 가맹점 정보가 주문과 다릅니다."),
        },
        "wechatpay_not_configured": {
            "zh-CN": ("未开通", "本系统未配置微信支付。"),
            "en": ("Not configured", "WeChat Pay is not configured here."),
            "ko": ("미설정", "이 시스템에는 위챗페이가 설정되지 않았습니다."),
        },
    }
)

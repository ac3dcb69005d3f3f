"""Every problem code the gateway answers with, in zh-CN, en and ko."""

from servicekit.i18n import register_messages

register_messages(
    {
        "web_not_built": {
            "zh-CN": (
                "页面尚未构建",
                "{face} 前端尚未构建：请运行 python3 dev.py run（或在 web/ 中运行 npm run build）。",
            ),
            "en": (
                "Not built yet",
                "The {face} front end has not been built: run python3 dev.py run (or npm run build in web/).",
            ),
            "ko": (
                "아직 빌드되지 않음",
                "{face} 화면이 아직 빌드되지 않았습니다. "
                "python3 dev.py run(또는 web/에서 npm run build)을 실행하세요.",
            ),
        },
        "upstream_unavailable": {
            "zh-CN": ("服务暂不可用", "{service} 服务暂时不可用，请稍后再试。"),
            "en": (
                "Service unavailable",
                "The {service} service is unavailable for now. Please try again shortly.",
            ),
            "ko": (
                "서비스 이용 불가",
                "{service} 서비스를 잠시 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.",
            ),
        },
        "bad_gateway": {
            "zh-CN": ("服务无响应", "{service} 服务没有响应，请稍后再试。"),
            "en": ("Bad gateway", "The {service} service did not answer. Please try again shortly."),
            "ko": ("게이트웨이 오류", "{service} 서비스가 응답하지 않습니다. 잠시 후 다시 시도해 주세요."),
        },
        "upstream_timeout": {
            "zh-CN": ("服务响应超时", "{service} 服务响应超时，请稍后再试。"),
            "en": ("Gateway timeout", "The {service} service took too long to answer. Please try again."),
            "ko": ("응답 시간 초과", "{service} 서비스의 응답이 너무 늦습니다. 다시 시도해 주세요."),
        },
        "rate_limited": {
            "zh-CN": ("请求过于频繁", "请求太频繁了，请稍后再试。"),
            "en": ("Too many requests", "You are sending requests too quickly. Please wait a moment."),
            "ko": ("요청이 너무 많음", "요청이 너무 잦습니다. 잠시 후 다시 시도해 주세요."),
        },
        "rate_limiter_unavailable": {
            "zh-CN": ("暂时无法登录", "安全校验暂不可用，请稍后再试。"),
            "en": (
                "Sign-in unavailable",
                "Sign-in protection is unavailable for now. Please try again shortly.",
            ),
            "ko": (
                "로그인 일시 불가",
                "로그인 보호 기능을 잠시 사용할 수 없습니다. 잠시 후 다시 시도해 주세요.",
            ),
        },
        "phone_taken": {
            "zh-CN": ("手机号已注册", "该手机号已经注册，请直接登录。"),
            "en": ("Phone already registered", "This phone number is already registered. Please sign in."),
            "ko": ("이미 등록된 전화번호", "이미 등록된 전화번호입니다. 로그인해 주세요."),
        },
        "bad_credentials": {
            "zh-CN": ("手机号或密码错误", "手机号或密码不正确。"),
            "en": ("Wrong phone or password", "The phone number or password is not correct."),
            "ko": ("전화번호 또는 비밀번호 오류", "전화번호 또는 비밀번호가 올바르지 않습니다."),
        },
        "login_throttled": {
            "zh-CN": ("尝试次数过多", "登录尝试次数过多，请稍后再试。"),
            "en": ("Too many attempts", "Too many sign-in attempts. Please try again later."),
            "ko": ("시도 횟수 초과", "로그인 시도가 너무 많습니다. 나중에 다시 시도해 주세요."),
        },
        "refresh_invalid": {
            "zh-CN": ("登录已失效", "刷新凭证无效或已过期，请重新登录。"),
            "en": ("Session ended", "The refresh token is invalid or expired. Please sign in again."),
            "ko": ("세션 종료", "리프레시 토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요."),
        },
        "refresh_reused": {
            "zh-CN": ("登录凭证已被使用", "该刷新凭证已被使用过，为安全起见已注销此登录，请重新登录。"),
            "en": (
                "Refresh token reused",
                "This refresh token was already used, so the session was ended. Please sign in again.",
            ),
            "ko": (
                "재사용된 토큰",
                "이미 사용된 리프레시 토큰이라 안전을 위해 세션을 종료했습니다. 다시 로그인해 주세요.",
            ),
        },
        "community_required": {
            "zh-CN": ("请选择社区", "存在多个社区，请填写社区编码。"),
            "en": ("Community required", "There are several communities; please send a community code."),
            "ko": ("커뮤니티 선택 필요", "커뮤니티가 여러 개입니다. 커뮤니티 코드를 보내 주세요."),
        },
        "wechat_not_linked": {
            "zh-CN": ("未使用微信登录", "订阅消息只对使用微信登录的账号开放。"),
            "en": (
                "Not signed in with WeChat",
                "Subscription messages need an account signed in with WeChat.",
            ),
            "ko": ("위챗 로그인 아님", "구독 메시지는 위챗으로 로그인한 계정만 사용할 수 있습니다."),
        },
        "wechat_template_unknown": {
            "zh-CN": ("未知的消息模板", "没有配置这些订阅消息模板：{templates}。"),
            "en": ("Unknown template", "These subscription templates are not configured: {templates}."),
            "ko": ("알 수 없는 템플릿", "설정되지 않은 구독 메시지 템플릿입니다: {templates}."),
        },
        "no_community_yet": {
            "zh-CN": ("暂无社区", "系统中还没有社区，暂时无法注册，请联系社区管理员。"),
            "en": (
                "No community yet",
                "This deployment has no community to join yet; ask its administrator.",
            ),
            "ko": ("아직 커뮤니티 없음", "아직 가입할 커뮤니티가 없습니다. 관리자에게 문의해 주세요."),
        },
        "community_code_taken": {
            "zh-CN": ("社区编码已存在", "该社区编码已被使用。"),
            "en": ("Community code taken", "This community code is already in use."),
            "ko": ("이미 있는 커뮤니티 코드", "이 커뮤니티 코드는 이미 사용 중입니다."),
        },
        "wechat_unavailable": {
            "zh-CN": ("微信登录暂不可用", "暂时无法连接微信，请稍后再试。"),
            "en": ("WeChat unavailable", "WeChat could not be reached. Please try again shortly."),
            "ko": ("위챗 로그인 불가", "위챗에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
        },
        "wechat_code_invalid": {
            "zh-CN": ("微信登录失败", "微信登录码无效或已使用，请重新登录。(errcode {errcode})"),
            "en": (
                "WeChat sign-in failed",
                "The WeChat login code is invalid or already used. (errcode {errcode})",
            ),
            "ko": (
                "위챗 로그인 실패",
                "위챗 로그인 코드가 유효하지 않거나 이미 사용되었습니다. (errcode {errcode})",
            ),
        },
        "wechat_rejected": {
            "zh-CN": ("微信登录失败", "微信拒绝了登录请求，请稍后再试。(errcode {errcode})"),
            "en": (
                "WeChat sign-in failed",
                "WeChat refused the sign-in. Please try again later. (errcode {errcode})",
            ),
            "ko": (
                "위챗 로그인 실패",
                "위챗이 로그인을 거부했습니다. 나중에 다시 시도해 주세요. (errcode {errcode})",
            ),
        },
        "role_not_grantable": {
            "zh-CN": ("无法授予该角色", "该角色不能这样授予。"),
            "en": ("Role cannot be granted", "This role cannot be granted this way."),
            "ko": ("부여할 수 없는 역할", "이 역할은 이런 방식으로 부여할 수 없습니다."),
        },
        "claim_exists": {
            "zh-CN": ("已有认领申请", "您已有待审核或已通过的住户认领。"),
            "en": ("Claim exists", "You already have a pending or approved household claim."),
            "ko": ("이미 신청함", "대기 중이거나 승인된 세대 신청이 이미 있습니다."),
        },
        "claim_not_pending": {
            "zh-CN": ("申请已处理", "该申请已经处理过了。"),
            "en": ("Already decided", "This request has already been decided."),
            "ko": ("이미 처리됨", "이 신청은 이미 처리되었습니다."),
        },
        "application_exists": {
            "zh-CN": ("已有申请", "您已有待审核或已通过的跑腿员申请。"),
            "en": ("Application exists", "You already have a pending or approved courier application."),
            "ko": ("이미 신청함", "대기 중이거나 승인된 배달원 신청이 이미 있습니다."),
        },
        "directory_conflict": {
            "zh-CN": ("已存在", "同名的楼栋或住户已存在。"),
            "en": ("Already exists", "A building or household with this name already exists."),
            "ko": ("이미 존재함", "같은 이름의 동 또는 세대가 이미 있습니다."),
        },
        "account_deleted": {
            "zh-CN": ("账号已注销", "该账号已注销，无法继续使用。"),
            "en": ("Account deleted", "This account has been deleted and can no longer be used."),
            "ko": ("탈퇴한 계정", "이 계정은 탈퇴 처리되어 더 이상 사용할 수 없습니다."),
        },
        "sms_rate_limited": {
            "zh-CN": ("验证码发送过于频繁", "验证码每分钟最多发送一次、每小时最多五次，请稍后再试。"),
            "en": ("Too many codes", "A code can be sent once a minute and five times an hour. Please wait."),
            "ko": (
                "인증번호 요청 과다",
                "인증번호는 1분에 한 번, 1시간에 다섯 번까지 보낼 수 있습니다. 잠시 후 다시 시도해 주세요.",
            ),
        },
        "sms_code_invalid": {
            "zh-CN": ("验证码错误", "验证码错误或已过期，请重新获取。"),
            "en": ("Wrong code", "The code is wrong or has expired. Please request a new one."),
            "ko": ("인증번호 오류", "인증번호가 틀렸거나 만료되었습니다. 새 인증번호를 받아 주세요."),
        },
        "sms_code_dead": {
            "zh-CN": ("验证码已失效", "验证码输错次数过多，已失效，请重新获取。"),
            "en": (
                "Code no longer valid",
                "The code was entered wrongly too many times. Please request a new one.",
            ),
            "ko": (
                "인증번호 무효",
                "인증번호를 너무 많이 틀려 더 이상 쓸 수 없습니다. 새 인증번호를 받아 주세요.",
            ),
        },
        "sms_code_required": {
            "zh-CN": ("需要短信验证", "注册需要手机验证码，请先获取验证码。"),
            "en": (
                "Code required",
                "Registration needs a code sent to your phone. Please request one first.",
            ),
            "ko": ("인증번호 필요", "가입하려면 휴대폰 인증번호가 필요합니다. 먼저 인증번호를 받아 주세요."),
        },
        "sms_unavailable": {
            "zh-CN": ("短信暂不可用", "短信服务暂时不可用，请稍后再试。"),
            "en": ("SMS unavailable", "Text messages cannot be sent right now. Please try again shortly."),
            "ko": ("문자 발송 불가", "지금은 문자를 보낼 수 없습니다. 잠시 후 다시 시도해 주세요."),
        },
        "confirmation_failed": {
            "zh-CN": ("身份确认失败", "密码或验证码不正确，账号未注销。"),
            "en": ("Not confirmed", "The password or code is not right; the account was not deleted."),
            "ko": ("본인 확인 실패", "비밀번호 또는 인증번호가 올바르지 않아 계정이 삭제되지 않았습니다."),
        },
    }
)

"""Every problem code of the forum service, in zh-CN (default), en and ko."""

from servicekit.i18n import register_messages

register_messages(
    {
        "transition_not_allowed": {
            "zh-CN": ("当前状态不允许此操作", "处于“{state}”状态时不能执行“{action}”。"),
            "en": ("Not allowed in this state", "“{action}” is not possible while the item is “{state}”."),
            "ko": ("현재 상태에서 불가", "“{state}” 상태에서는 “{action}”을(를) 할 수 없습니다."),
        },
        "staff_only_board": {
            "zh-CN": ("仅限工作人员", "公告板只有物业、居委会和管理员可以发帖。"),
            "en": ("Staff only", "Only staff can post on the announcements board."),
            "ko": ("직원 전용", "공지 게시판에는 직원만 글을 올릴 수 있습니다."),
        },
        "first_day_cap": {
            "zh-CN": ("新用户发帖上限", "新用户第一天的发帖或回复已达上限（{cap} 条），明天再来吧。"),
            "en": ("New member limit", "New members may post {cap} {what} on their first day."),
            "ko": ("신규 회원 제한", "신규 회원은 첫날 글이나 댓글을 {cap}개까지 올릴 수 있습니다."),
        },
        "posting_too_fast": {
            "zh-CN": ("发帖太频繁", "发帖太快了，请 {retry_after} 秒后再试。"),
            "en": ("Too many posts", "You are posting too fast. Try again in {retry_after} seconds."),
            "ko": ("너무 잦은 게시", "너무 빨리 올리고 있습니다. {retry_after}초 후 다시 시도해 주세요."),
        },
        "duplicate_post": {
            "zh-CN": ("重复内容", "您刚刚发过相同的内容。"),
            "en": ("Duplicate post", "You just posted the same text."),
            "ko": ("중복 게시", "방금 같은 내용을 올렸습니다."),
        },
        "mention_unknown": {
            "zh-CN": ("找不到被@的人", "本社区没有叫 {names} 的成员。"),
            "en": ("Nobody by that name", "Nobody in this community is called {names}."),
            "ko": ("해당 이름의 구성원 없음", "이 단지에 {names}(이)라는 구성원이 없습니다."),
        },
        "mention_ambiguous": {
            "zh-CN": ("同名的人不止一位", "本社区有多位成员叫 {names}，请选择要@的那一位。"),
            "en": (
                "Several people by that name",
                "More than one member of this community is called {names}: choose whom you mean.",
            ),
            "ko": (
                "같은 이름의 구성원이 여러 명",
                "이 단지에 {names}(이)라는 구성원이 여러 명 있습니다. 누구인지 선택하세요.",
            ),
        },
        "content_blocked": {
            "zh-CN": ("内容包含禁用词", "内容包含社区禁止的词语，请修改后再发。"),
            "en": ("Content blocked", "The text contains words this community does not allow."),
            "ko": ("차단된 내용", "커뮤니티에서 허용하지 않는 단어가 포함되어 있습니다."),
        },
        "trust_too_low": {
            "zh-CN": ("信任等级不足", "需要信任等级 {required} 才能进行此操作。"),
            "en": ("Trust level too low", "This needs trust level {required}."),
            "ko": ("신뢰 등급 부족", "이 작업에는 신뢰 등급 {required}이(가) 필요합니다."),
        },
        "own_post": {
            "zh-CN": ("不能操作自己的帖子", "不能举报或点赞自己的帖子。"),
            "en": ("Your own post", "You cannot flag or like your own post."),
            "ko": ("본인 게시물", "본인 게시물은 신고하거나 좋아요할 수 없습니다."),
        },
        "thread_not_editable": {
            "zh-CN": ("不能编辑", "只能编辑自己的帖子，系统消息不能编辑。"),
            "en": ("Not editable", "Only the author can edit a post; system posts cannot be edited."),
            "ko": ("편집 불가", "작성자만 게시물을 편집할 수 있습니다."),
        },
        "already_decided": {
            "zh-CN": ("已处理", "该审核事项已经处理过了。"),
            "en": ("Already decided", "This moderation item was already decided."),
            "ko": ("이미 처리됨", "이 검토 항목은 이미 처리되었습니다."),
        },
        "household_required": {
            "zh-CN": ("需要实名认证的住户", "只有通过认证的住户才能支持、投票或评价。"),
            "en": ("Verified household required", "Only verified households can support, vote or rate."),
            "ko": ("인증 세대 필요", "인증된 세대만 지지, 투표, 평가할 수 있습니다."),
        },
        "not_affected": {
            "zh-CN": ("不是受影响住户", "只有该事项所在楼栋的住户可以评价。"),
            "en": ("Not an affected household", "Only households of the topic's building can rate it."),
            "ko": ("해당 세대 아님", "해당 동의 세대만 평가할 수 있습니다."),
        },
        "household_already_counted": {
            "zh-CN": ("本户已经算过了", "您家里已有其他成员支持或投票，每户只算一次。"),
            "en": (
                "Your household already counted",
                "Another member of your household already supported or voted: each household counts once.",
            ),
            "ko": (
                "이미 반영된 세대",
                "같은 세대의 다른 구성원이 이미 지지하거나 투표했습니다. 세대당 한 번만 반영됩니다.",
            ),
        },
        "window_closed": {
            "zh-CN": ("征集已结束", "该议题的征集期已结束。"),
            "en": ("Window closed", "Support collection for this topic has ended."),
            "ko": ("모집 종료", "이 안건의 지지 모집 기간이 끝났습니다."),
        },
        "no_ratings": {
            "zh-CN": ("还没有评价", "还没有住户评价，不能结束评议。"),
            "en": ("No ratings yet", "No household has rated the result yet."),
            "ko": ("평가 없음", "아직 평가한 세대가 없습니다."),
        },
        "not_a_mediator": {
            "zh-CN": ("不是调解员", "被提名的人不是本社区的调解员。"),
            "en": ("Not a mediator", "The proposed person is not a mediator of this community."),
            "ko": ("조정인 아님", "제안된 사람은 이 커뮤니티의 조정인이 아닙니다."),
        },
        "invalid_parties": {
            "zh-CN": ("当事人有误", "调解需要至少两位不同的当事人。"),
            "en": ("Invalid parties", "A dispute needs at least two different parties."),
            "ko": ("당사자 오류", "조정에는 서로 다른 당사자가 두 명 이상 필요합니다."),
        },
        "term_party_unknown": {
            "zh-CN": ("协议条款有误", "每条协议条款的负责人必须是当事人之一。"),
            "en": ("Invalid term", "Each term must be owed by one of the parties."),
            "ko": ("조항 오류", "각 조항의 이행자는 당사자 중 한 명이어야 합니다."),
        },
    }
)

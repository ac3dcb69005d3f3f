"""Every problem code of the forum service, in zh-CN (default), en and ko."""

from servicekit.i18n import localise_params, register_messages, register_terms

register_messages(
    {
        "transition_not_allowed": {
            "zh-CN": ("当前状态不允许此操作", "处于“{state}”状态时不能执行“{action}”。"),
            "en": ("Not allowed in this state", "“{action}” is not possible while the item is “{state}”."),
            "ko": ("현재 상태에서 불가", "“{state}” 상태에서는 “{action}”을(를) 할 수 없습니다."),
        },
        "state_unchanged": {
            "zh-CN": ("无需重复操作", "已经处于“{state}”状态，“{action}”不会改变任何内容。"),
            "en": ("Nothing to do", "It is already “{state}”; “{action}” would change nothing."),
            "ko": ("변경 사항 없음", "이미 “{state}” 상태라서 “{action}”(으)로 바뀌는 것이 없습니다."),
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
        "lexicon_word_invalid": {
            "zh-CN": ("词语无效", "词语须为 1 到 16 个汉字或字母（数字不能开头）。"),
            "en": (
                "Invalid word",
                "A word is 1 to 16 Chinese characters or letters (not starting with a digit).",
            ),
            "ko": ("잘못된 단어", "단어는 한자나 글자 1~16자여야 합니다(숫자로 시작할 수 없음)."),
        },
        "lexicon_topic_required": {
            "zh-CN": ("缺少主题", "同义词、相关词需要注明所属主题，错别字需要注明正确写法；停用词不需要。"),
            "en": (
                "Topic required",
                "A synonym or related word needs its topic, a typo the word meant; "
                "a stop word needs neither.",
            ),
            "ko": (
                "주제 필요",
                "동의어와 관련어에는 주제를, 오타에는 올바른 단어를 적어야 합니다. 불용어는 필요 없습니다.",
            ),
        },
    }
)

# The names a detail quotes (a dispute's or a topic's state, the step refused) in the reader's
# language: never the English code inside Chinese or Korean text.
register_terms(
    "forum.state",
    {
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
    },
)
register_terms(
    "forum.action",
    {
        "triage": {"zh-CN": "分流", "en": "triage", "ko": "분류"},
        "propose_mediator": {"zh-CN": "推荐调解员", "en": "propose a mediator", "ko": "조정인 제안"},
        "accept_mediator": {"zh-CN": "接受调解员", "en": "accept the mediator", "ko": "조정인 수락"},
        "all_accept_mediator": {"zh-CN": "接受调解员", "en": "accept the mediator", "ko": "조정인 수락"},
        "propose_terms": {"zh-CN": "提出调解协议", "en": "propose terms", "ko": "합의안 제안"},
        "accept_agreement": {"zh-CN": "接受调解协议", "en": "accept the agreement", "ko": "합의안 수락"},
        "all_accept_agreement": {"zh-CN": "接受调解协议", "en": "accept the agreement", "ko": "합의안 수락"},
        "decline_agreement": {"zh-CN": "拒绝调解协议", "en": "decline the agreement", "ko": "합의안 거절"},
        "start_monitoring": {"zh-CN": "开始回访", "en": "start the follow-up", "ko": "이행 확인 시작"},
        "check_in": {"zh-CN": "回访", "en": "check in", "ko": "이행 확인"},
        "check_ins_ok": {"zh-CN": "回访通过", "en": "pass the follow-up", "ko": "이행 확인 완료"},
        "term_broken": {"zh-CN": "报告违约", "en": "report a broken term", "ko": "합의 위반 신고"},
        "new_complaint": {"zh-CN": "新的投诉", "en": "complain again", "ko": "새 민원"},
        "resume": {"zh-CN": "恢复调解", "en": "resume mediation", "ko": "조정 재개"},
        "escalate": {"zh-CN": "上报", "en": "escalate", "ko": "상급 이관"},
        "withdraw": {"zh-CN": "撤回", "en": "withdraw", "ko": "철회"},
        "close": {"zh-CN": "关闭", "en": "close", "ko": "종료"},
        "close_not_dispute": {
            "zh-CN": "以非纠纷关闭",
            "en": "close as not a dispute",
            "ko": "분쟁 아님으로 종료",
        },
        "support": {"zh-CN": "联署支持", "en": "support", "ko": "지지"},
        "support_threshold_met": {"zh-CN": "联署支持", "en": "support", "ko": "지지"},
        "window_ended": {"zh-CN": "征集截止", "en": "end the collection", "ko": "모집 마감"},
        "screen": {"zh-CN": "审核", "en": "screen", "ko": "검토"},
        "screen_accept": {"zh-CN": "审核通过", "en": "accept at screening", "ko": "검토 통과"},
        "screen_reject": {"zh-CN": "审核驳回", "en": "reject at screening", "ko": "검토 반려"},
        "minutes": {"zh-CN": "记录会议纪要", "en": "record minutes", "ko": "회의록 기록"},
        "minutes_to_vote": {"zh-CN": "提交表决", "en": "put to the vote", "ko": "표결 회부"},
        "minutes_decide": {"zh-CN": "形成决议", "en": "decide", "ko": "의결"},
        "vote": {"zh-CN": "投票", "en": "vote", "ko": "투표"},
        "close_vote": {"zh-CN": "计票", "en": "count the votes", "ko": "개표"},
        "vote_carried": {"zh-CN": "计票", "en": "count the votes", "ko": "개표"},
        "vote_failed": {"zh-CN": "计票", "en": "count the votes", "ko": "개표"},
        "start_acting": {"zh-CN": "交付落实", "en": "hand over for action", "ko": "실행 착수"},
        "progress": {"zh-CN": "更新进度", "en": "report progress", "ko": "진행 보고"},
        "supervise": {"zh-CN": "转入监督", "en": "start supervision", "ko": "감독 시작"},
        "evaluate": {"zh-CN": "转入评议", "en": "start the evaluation", "ko": "평가 시작"},
        "rate": {"zh-CN": "评议打分", "en": "rate", "ko": "평가"},
        "conclude": {"zh-CN": "结束评议", "en": "conclude", "ko": "평가 종료"},
        "rating_passed": {"zh-CN": "结束评议", "en": "conclude", "ko": "평가 종료"},
        "rating_failed": {"zh-CN": "结束评议", "en": "conclude", "ko": "평가 종료"},
    },
)
localise_params("transition_not_allowed", state="forum.state", action="forum.action")
localise_params("state_unchanged", state="forum.state", action="forum.action")

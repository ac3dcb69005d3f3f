"""Every problem code of the reports service in zh-CN, en and ko (imported by main.py)."""

from servicekit.i18n import localise_params, register_messages, register_terms

register_messages(
    {
        "report_illegal_transition": {
            "zh-CN": ("当前状态不能执行此操作", "工单处于「{status}」状态，不能执行「{action}」。"),
            "en": ("Not possible in this state", "The report is {status}; {action} is not possible now."),
            "ko": ("현재 상태에서 불가", "신고가 {status} 상태라서 {action}을(를) 할 수 없습니다."),
        },
        "report_already_assigned": {
            "zh-CN": ("工单已被派给他人", "该工单已由其他工作人员接手。"),
            "en": ("Already assigned", "Another staff member already has this report."),
            "ko": ("이미 배정됨", "다른 담당자가 이미 이 신고를 맡았습니다."),
        },
        "category_unknown": {
            "zh-CN": ("类别不存在", "没有「{category}」这个报事类别。"),
            "en": ("Unknown category", "There is no report category {category}."),
            "ko": ("알 수 없는 분류", "{category} 신고 분류가 없습니다."),
        },
        "category_not_grabbable": {
            "zh-CN": ("该类别不支持抢单", "该类别的工单由主管派单。"),
            "en": ("Not a grab category", "Reports of this category are assigned by a manager."),
            "ko": ("가져가기 불가 분류", "이 분류의 신고는 관리자가 배정합니다."),
        },
        "staff_id_required": {
            "zh-CN": ("请指定工作人员", "请提供 staff_id。"),
            "en": ("Staff member required", "Please give staff_id."),
            "ko": ("담당자 필요", "staff_id를 입력해 주세요."),
        },
        "staff_not_in_department": {
            "zh-CN": ("人员不属于该部门", "该人员不是「{department}」部门的工作人员。"),
            "en": ("Not staff of the department", "This person is not staff of the {department} department."),
            "ko": ("해당 부서 직원 아님", "이 사람은 {department} 부서 직원이 아닙니다."),
        },
        "staff_at_capacity": {
            "zh-CN": ("工单已满", "该工作人员手上已有 {limit} 个未完成的工单。"),
            "en": ("Too many open jobs", "This staff member already has {limit} open jobs."),
            "ko": ("작업 한도 초과", "이 담당자는 이미 진행 중인 작업이 {limit}건입니다."),
        },
        "transfer_to_same_staff": {
            "zh-CN": ("不能转给自己", "工单已经在该人员手上。"),
            "en": ("Same staff member", "The report is already with this staff member."),
            "ko": ("같은 담당자", "이미 이 담당자에게 있는 신고입니다."),
        },
        "after_photo_required": {
            "zh-CN": ("需要上传完工照片", "该类别需要先上传维修后的照片才能办结。"),
            "en": ("After-photo required", "Upload a photo of the fixed problem before resolving."),
            "ko": ("완료 사진 필요", "해결 처리 전에 수리 후 사진을 올려 주세요."),
        },
        "reopen_window_passed": {
            "zh-CN": ("已超过重新打开期限", "工单关闭超过 14 天，不能再重新打开，请重新报事。"),
            "en": ("Too late to reopen", "Closed more than 14 days ago; please file a new report."),
            "ko": ("재개 기한 지남", "종료된 지 14일이 지나 다시 열 수 없습니다. 새로 신고해 주세요."),
        },
        "reject_reason_required": {
            "zh-CN": ("请说明驳回原因", "请选择驳回原因。"),
            "en": ("Reason required", "Please give the reason for rejecting."),
            "ko": ("사유 필요", "반려 사유를 선택해 주세요."),
        },
        "duplicate_of_required": {
            "zh-CN": ("请指明重复的工单", "以“重复”驳回时需要提供 duplicate_of。"),
            "en": ("Original report required", "Rejecting as duplicate needs duplicate_of."),
            "ko": ("원 신고 필요", "중복으로 반려하려면 duplicate_of가 필요합니다."),
        },
        "duplicate_of_unknown": {
            "zh-CN": ("重复的工单不存在", "duplicate_of 指向的工单不存在。"),
            "en": (
                "Original report not found",
                "duplicate_of does not name another report of this community.",
            ),
            "ko": ("원 신고 없음", "duplicate_of가 가리키는 신고가 없습니다."),
        },
        "report_not_rateable": {
            "zh-CN": ("暂不能评价", "工单办结后才能评价。"),
            "en": ("Cannot rate yet", "A report can be rated once it is resolved."),
            "ko": ("아직 평가 불가", "해결된 후에 평가할 수 있습니다."),
        },
        "community_query_required": {
            "zh-CN": ("请指定社区", "有多个社区，请用 ?community= 填写社区编码。"),
            "en": ("Community required", "There are several communities; name one with ?community=<code>."),
            "ko": ("커뮤니티 지정 필요", "커뮤니티가 여러 개입니다. ?community=<코드>로 지정해 주세요."),
        },
        "report_already_rated": {
            "zh-CN": ("已评价", "每个工单只能评价一次。"),
            "en": ("Already rated", "A report is rated once."),
            "ko": ("이미 평가함", "신고는 한 번만 평가할 수 있습니다."),
        },
        "report_not_open": {
            "zh-CN": ("工单已结束", "工单处于「{status}」状态。"),
            "en": ("Report not open", "The report is {status}."),
            "ko": ("종료된 신고", "신고가 {status} 상태입니다."),
        },
        "urge_too_soon": {
            "zh-CN": ("催单太频繁", "每小时只能催单一次，请 {seconds} 秒后再试。"),
            "en": ("Urged recently", "You can urge once an hour; try again in {seconds} s."),
            "ko": (
                "재촉 너무 잦음",
                "한 시간에 한 번만 재촉할 수 있습니다. {seconds}초 후 다시 시도해 주세요.",
            ),
        },
        "open311_key_not_found": {
            "zh-CN": ("密钥不存在", "没有这个 Open311 密钥。"),
            "en": ("Key not found", "There is no such Open311 key."),
            "ko": ("키 없음", "해당 Open311 키가 없습니다."),
        },
    }
)

# The names a detail quotes (a report's state, the step refused, a department), in the reader's
# language: never the English code inside Chinese or Korean text.
register_terms(
    "reports.status",
    {
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
    },
)
register_terms(
    "reports.action",
    {
        "accept": {"zh-CN": "受理", "en": "accepting", "ko": "접수"},
        "assign": {"zh-CN": "派单", "en": "assigning", "ko": "배정"},
        "grab": {"zh-CN": "抢单", "en": "grabbing", "ko": "가져가기"},
        "start": {"zh-CN": "开始处理", "en": "starting", "ko": "처리 시작"},
        "pause": {"zh-CN": "暂停", "en": "pausing", "ko": "일시 중지"},
        "resume": {"zh-CN": "继续处理", "en": "resuming", "ko": "재개"},
        "transfer": {"zh-CN": "转派", "en": "transferring", "ko": "이관"},
        "resolve": {"zh-CN": "办结", "en": "resolving", "ko": "해결 처리"},
        "confirm": {"zh-CN": "确认解决", "en": "confirming", "ko": "해결 확인"},
        "auto_close": {"zh-CN": "自动关闭", "en": "closing", "ko": "자동 종결"},
        "reopen": {"zh-CN": "重新打开", "en": "reopening", "ko": "재개 요청"},
        "reject": {"zh-CN": "驳回", "en": "rejecting", "ko": "반려"},
        "cancel": {"zh-CN": "撤销", "en": "cancelling", "ko": "취소"},
    },
)
register_terms(
    "reports.department",
    {
        "property": {"zh-CN": "物业", "en": "property management", "ko": "관리사무소"},
        "heating": {"zh-CN": "供热公司", "en": "heating company", "ko": "난방 회사"},
        "police": {"zh-CN": "社区民警", "en": "community police", "ko": "지역 경찰"},
        "urban_management": {"zh-CN": "城管", "en": "urban management", "ko": "도시관리"},
        "committee": {"zh-CN": "居委会", "en": "residents' committee", "ko": "주민위원회"},
    },
)
localise_params("report_illegal_transition", status="reports.status", action="reports.action")
localise_params("report_not_open", status="reports.status")
localise_params("staff_not_in_department", department="reports.department")

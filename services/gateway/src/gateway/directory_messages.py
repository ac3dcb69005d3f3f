"""Problem and row-error codes of the directory import, in zh-CN, en and ko."""

from servicekit.i18n import register_messages

register_messages(
    {
        "directory_file_unsupported": {
            "zh-CN": ("文件格式不支持", "请上传 CSV（UTF-8 编码）或 Excel（.xlsx）文件。"),
            "en": ("Unsupported file", "Please upload a CSV file (UTF-8) or an Excel workbook (.xlsx)."),
            "ko": ("지원하지 않는 파일", "CSV(UTF-8) 또는 Excel(.xlsx) 파일을 올려 주세요."),
        },
        "directory_file_unreadable": {
            "zh-CN": ("文件无法读取", "文件已损坏或格式不正确，请重新导出后再上传。"),
            "en": (
                "File cannot be read",
                "The file is damaged or malformed. Please save it again and retry.",
            ),
            "ko": (
                "파일을 읽을 수 없음",
                "파일이 손상되었거나 형식이 잘못되었습니다. 다시 저장한 뒤 올려 주세요.",
            ),
        },
        "directory_file_empty": {
            "zh-CN": ("文件为空", "文件中没有表头，也没有数据。"),
            "en": ("Empty file", "The file has no header row and no data."),
            "ko": ("빈 파일", "파일에 머리글 행도 데이터도 없습니다."),
        },
        "directory_column_missing": {
            "zh-CN": ("缺少列", "表格缺少“{header}”列（{column}）。"),
            "en": ("Missing column", "The sheet has no “{column}” column ({header})."),
            "ko": ("열 누락", "표에 “{column}” 열({header})이 없습니다."),
        },
        "directory_rows_invalid": {
            "zh-CN": ("数据有误，未导入", "有 {count} 处错误，全部未导入；请按行号修改后重新上传。"),
            "en": (
                "Rows are wrong; nothing imported",
                "{count} problems found and nothing was imported. Fix the rows listed and upload again.",
            ),
            "ko": (
                "잘못된 행이 있어 가져오지 않음",
                "{count}개의 오류가 있어 아무것도 가져오지 않았습니다. 표시된 행을 고친 뒤 다시 올려 주세요.",
            ),
        },
        "directory_value_required": {
            "zh-CN": ("必填", "“{column}”不能为空。"),
            "en": ("Required", "“{column}” must not be empty."),
            "ko": ("필수 항목", "“{column}” 값이 비어 있습니다."),
        },
        "directory_value_too_long": {
            "zh-CN": ("内容过长", "“{column}”最多 {max} 个字符。"),
            "en": ("Too long", "“{column}” is at most {max} characters."),
            "ko": ("너무 김", "“{column}”은(는) 최대 {max}자입니다."),
        },
        "directory_floor_invalid": {
            "zh-CN": ("楼层无效", "楼层“{value}”不是有效的整数（-9 到 200）。"),
            "en": ("Invalid floor", "The floor “{value}” is not a whole number from -9 to 200."),
            "ko": ("잘못된 층", "층 “{value}”은(는) -9에서 200 사이의 정수가 아닙니다."),
        },
        "directory_flag_invalid": {
            "zh-CN": ("是/否无效", "“{column}”的值“{value}”无效，请填 是/否、true/false 或 1/0。"),
            "en": (
                "Invalid yes/no",
                "“{value}” is not a value for “{column}”: use 是/否, true/false or 1/0.",
            ),
            "ko": (
                "잘못된 예/아니오",
                "“{column}”의 값 “{value}”이(가) 잘못되었습니다. 是/否, true/false, 1/0 중 하나를 쓰세요.",
            ),
        },
        "directory_room_duplicate": {
            "zh-CN": ("房号重复", "同一楼号、单元、房号已在第 {first_row} 行出现。"),
            "en": ("Duplicate room", "The same building, unit and room is already on row {first_row}."),
            "ko": ("중복된 호실", "같은 동, 라인, 호실이 이미 {first_row}행에 있습니다."),
        },
        "directory_lift_conflict": {
            "zh-CN": ("电梯信息矛盾", "同一楼号的电梯信息与第 {first_row} 行不一致。"),
            "en": ("Lift contradicts", "Whether this building has a lift contradicts row {first_row}."),
            "ko": ("엘리베이터 정보 충돌", "같은 동의 엘리베이터 정보가 {first_row}행과 다릅니다."),
        },
    }
)

"""Common-vocabulary names for a department's columns: snake_case, English where we can.

ASCII names are put in snake_case (`accidentId` → `accident_id`, `STATION_CODE` →
`station_code`). Chinese names are translated word by word with a small dictionary of
words common in public-safety registers (longest word first), in their order, which is
mostly English order too (检查日期 → inspection_date). A name the dictionary does not
cover is kept as far as it goes and flagged for review; a unit in brackets is kept
(直接财产损失（万元）→ direct_property_loss_10k_yuan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.lib.contracts.vocabulary import SNAKE_CASE

# Words of Chinese public-safety column names. Longer entries win over the words they contain.
WORDS: dict[str, str] = {
    # identifiers and codes
    "统一社会信用代码": "uscc",
    "社会信用代码": "uscc",
    "信用代码": "uscc",
    "组织机构代码": "organisation_code",
    "身份证号码": "id_number",
    "身份证号": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "证件号": "id_number",
    "车牌号码": "plate_no",
    "号牌号码": "plate_no",
    "车牌号": "plate_no",
    "车牌": "plate_no",
    "号牌": "plate_no",
    "许可证编号": "licence_no",
    "许可证号": "licence_no",
    "排污许可证": "discharge_permit",
    "许可证": "licence",
    "营业执照": "business_licence",
    "行业代码": "industry_code",
    "区划代码": "division_code",
    "行政区划": "division_code",
    "区划": "division",
    "编号": "id",
    "单号": "id",
    "记录号": "record_id",
    "代码": "code",
    "编码": "code",
    "号码": "number",
    "序号": "seq",
    # people
    "法定代表人": "legal_rep",
    "法人代表": "legal_rep",
    "负责人": "person_in_charge",
    "联系人": "contact",
    "联系电话": "phone",
    "联系方式": "phone",
    "电话": "phone",
    "手机号码": "mobile",
    "手机号": "mobile",
    "手机": "mobile",
    "姓名": "name",
    "名称": "name",
    "名字": "name",
    "性别": "sex",
    "年龄": "age",
    "出生日期": "birth_date",
    "民族": "ethnicity",
    "住址": "home_address",
    "驾驶人": "driver",
    "驾驶员": "driver",
    "当事人": "party",
    "报警人": "caller",
    "受害人": "victim",
    "伤者": "victim",
    "检查人员": "inspectors",
    "执法人员": "officers",
    "人员": "staff",
    "人数": "count",
    # organisations and places
    "企业": "enterprise",
    "单位": "unit",
    "经营者": "business",
    "经营场所": "premises",
    "场所": "premises",
    "机构": "agency",
    "部门": "department",
    "详细地址": "address",
    "地址": "address",
    "地点": "place",
    "位置": "location",
    "坐标": "coordinates",
    "经度": "longitude",
    "纬度": "latitude",
    "区县": "county",
    "县区": "county",
    "街道": "township",
    "乡镇": "township",
    "社区": "community",
    "网格": "grid",
    "道路": "road",
    "路名": "road_name",
    "路段": "road_section",
    "站点": "station",
    "监测点": "station",
    "队站": "station",
    # events and what happens in them
    "警情": "incident",
    "事件": "event",
    "事故": "accident",
    "火灾": "fire",
    "起火": "fire",
    "报警": "alarm",
    "出动": "dispatch",
    "到场": "arrival",
    "到达": "arrival",
    "结束": "end",
    "开始": "start",
    "处置": "handling",
    "死亡": "death",
    "死亡人数": "deaths",
    "受伤人数": "injuries",
    "受伤": "injured",
    "重伤": "serious_injuries",
    "轻伤": "minor_injuries",
    "直接财产损失": "direct_property_loss",
    "直接经济损失": "direct_economic_loss",
    "财产损失": "property_loss",
    "经济损失": "economic_loss",
    "损失": "loss",
    "原因": "cause",
    "力量": "resources",
    "车辆": "vehicles",
    "天气": "weather",
    # inspections, licences, hazards
    "检查": "inspection",
    "抽样": "sampling",
    "抽检": "sampling",
    "被抽样": "sampled",
    "检验": "test",
    "检测": "test",
    "监测": "monitoring",
    "监督管理": "supervision",
    "日常": "routine",
    "整改": "rectification",
    "隐患": "hazard",
    "重大危险源": "major_hazard_source",
    "危险源": "hazard_source",
    "危险化学品": "hazardous_chemical",
    "化学品": "chemical",
    "危化品": "hazardous_chemical",
    "食品": "food",
    "主体业态": "business_type",
    "业态": "business_type",
    "经营项目": "business_scope",
    "经营": "business",
    "项目": "items",
    "不合格": "failed",
    "合格": "passed",
    "问题": "issue",
    "发证": "issue",
    "有效期至": "valid_until",
    "有效期": "validity",
    "完成": "completed",
    "期限": "deadline",
    "发现": "found",
    "登记": "registration",
    "注册": "registration",
    "成立": "established",
    "接警": "call_received",
    "案件": "case",
    "立案": "case_filed",
    "处罚": "penalty",
    "罚款": "fine",
    "投诉": "complaint",
    "举报": "report",
    "巡查": "patrol",
    "执法": "enforcement",
    "设备": "device",
    "设施": "facility",
    "传感器": "sensor",
    # environment
    "空气质量": "air_quality",
    "污染物": "pollutant",
    "污染源": "pollution_source",
    "排放口": "outlet",
    "排口": "outlet",
    "排放": "emission",
    "超标": "exceedance",
    "倍数": "multiple",
    "浓度": "concentration",
    "限值": "limit",
    "标准值": "limit",
    "实测值": "measured_value",
    "监测值": "measured_value",
    "行业": "industry",
    # generic words
    "类型": "type",
    "类别": "category",
    "种类": "kind",
    "等级": "level",
    "级别": "level",
    "状态": "status",
    "结果": "result",
    "结论": "result",
    "描述": "description",
    "说明": "note",
    "备注": "remark",
    "内容": "content",
    "情况": "situation",
    "数量": "quantity",
    "金额": "amount",
    "面积": "area",
    "日期": "date",
    "时间": "time",
    "时刻": "time",
    "年份": "year",
    "月份": "month",
    "年": "year",
    "月": "month",
    "日": "day",
    "时": "hour",
    "分": "minute",
    "秒": "second",
    "是否": "is",
    "总数": "total",
    "数": "count",
    "名": "name",
    "号": "no",
    "被": "",
    "的": "",
    "及": "and",
    "和": "and",
}
# Units in brackets, as they appear in headers: kept in the name so the number's unit shows.
UNITS: dict[str, str] = {
    "万元": "10k_yuan",
    "元": "yuan",
    "亿元": "100m_yuan",
    "吨": "t",
    "t": "t",
    "kg": "kg",
    "公斤": "kg",
    "千克": "kg",
    "m": "m",
    "米": "m",
    "km": "km",
    "公里": "km",
    "平方米": "m2",
    "m2": "m2",
    "㎡": "m2",
    "亩": "mu",
    "%": "pct",
    "mg/m3": "mgm3",
    "μg/m3": "ugm3",
    "ug/m3": "ugm3",
    "mg/l": "mgl",
    "km/h": "kmh",
    "分钟": "min",
    "小时": "h",
    "人": "",
}
_LONGEST_WORD = max(len(word) for word in WORDS)
_BRACKETED = re.compile(r"[（(]([^（）()]*)[)）]")


@dataclass(frozen=True)
class Named:
    name: str  # snake_case
    translated: bool  # every part of the delivered name was understood


def snake_case(text: str) -> str:
    """`accidentId`, `STATION_CODE`, `Call Date` → accident_id, station_code, call_date."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    words = re.findall(r"[a-z0-9]+", text.lower())
    name = "_".join(words)
    if name and not name[0].isalpha():
        name = "c_" + name
    return name


def english_name(source: str) -> Named:
    """A snake_case name for a delivered column (a dotted path inside arrays becomes one name)."""
    text = source.replace(".", "_")
    # A unit in brackets stays in the name; anything else in brackets is a gloss, left out.
    units = [UNITS.get(inner.strip().lower(), "") for inner in _BRACKETED.findall(text)]
    text = _BRACKETED.sub(" ", text)
    words: list[str] = []
    understood = True
    i = 0
    while i < len(text):
        char = text[i]
        if char.isascii():
            j = i
            while j < len(text) and text[j].isascii():
                j += 1
            words.append(snake_case(text[i:j]))
            i = j
            continue
        for length in range(min(_LONGEST_WORD, len(text) - i), 0, -1):
            word = WORDS.get(text[i : i + length])
            if word is not None:
                words.append(word)
                i += length
                break
        else:
            understood = understood and not char.isalnum()
            i += 1
    words += [u for u in units if u]
    name = "_".join(w for w in words if w)
    name = re.sub(r"_+", "_", name).strip("_")
    return Named(name if SNAKE_CASE.fullmatch(name) else "", understood and bool(name))


def unique_names(wanted: list[str]) -> list[str]:
    """Names made distinct in order: a repeat gets _2, _3..."""
    taken: set[str] = set()
    names = []
    for name in wanted:
        candidate, count = name, 1
        while candidate in taken:
            count += 1
            candidate = f"{name}_{count}"
        taken.add(candidate)
        names.append(candidate)
    return names

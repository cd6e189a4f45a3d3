"""One delivered column, inferred: name, type, required, pattern, enumeration, standard, classification.

The rule of the draft: it accepts every row of the sample it was drafted from. What is
declared (a type, formats, `required`, a pattern, an enumeration, `minimum: 0`,
`notAfterDelivery`, a key) holds for every value of the file; what nearly holds is said
in a comment for the engineer to decide. National standards are the exception: a wrong
identity-number or credit-code check character, or a division code that does not
exist, is wrong whatever the sample says, so a standard is declared when most values
meet it and the others are named as what ingestion will quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from pipelines.lib import admin_divisions
from pipelines.lib.draft.names import english_name
from pipelines.lib.draft.patterns import infer_pattern, is_code_like
from pipelines.lib.draft.values import (
    _CODE_NAME,
    TypeGuess,
    city_timezone,
    guess_type,
    parse,
    probe_field,
    sentinels,
)
from pipelines.lib.standards.identifiers import is_valid_identity_number, is_valid_uscc

ENUM_MAX = 20  # at most this many distinct values make an enumeration
ENUM_REPEATS = 3  # ...each seen this many times on average
ENUM_LONGEST = 30  # longer values are text, not categories
STANDARD_SHARE = 0.8  # a standard is declared when this share of values meets it
PERSONAL_SHARE = 0.8  # a column is personal when this share of values looks personal

_IDENTITY_SHAPE = r"^\d{17}[\dXx]$"
_USCC_SHAPE = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
_MASKED_IDENTITY = r"^\d{6}\*{4,}\d{3,4}[\dXx]?$"
_PHONE = r"^(?:\+?86-?)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$"
_PERSONAL_NAME = re.compile(
    r"姓名|电话|手机|身份证|证件号|联系人|法定代表人|法人|负责人|驾驶人|驾驶员|当事人|报警人|受害人|人员|住址"
    r"|(^|_)(phone|mobile|tel|telephone|contact|id_?no|id_?card|id_number|legal_rep|driver|victim"
    r"|person|caller|surname|first_name|last_name|full_name)(_|$)"
)
# Free text, never an enumeration however few values a sample shows.
_TEXT_NAME = re.compile(
    r"描述|说明|备注|内容|地址|名称|姓名|原因|(^|_)(description|remark|note|comment|address|name"
    r"|text|content|cause)(_|$)"
)
_DEADLINE = re.compile(r"期限|有效期|截止|至$|deadline|expir|valid|until|due")
# The commonest Chinese surnames: a 2-4 character value starting with one reads as a person.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)


@dataclass
class DraftField:
    """A property of the drafted contract, with the reasons a person should read."""

    source: str | None  # the delivered column (a dotted path inside array items)
    name: str
    business_name: str | None
    logical_type: str
    formats: tuple[str, ...] = ()
    required: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    standard: str | None = None
    minimum: float | None = None
    not_after_delivery: bool = False
    json_text: bool = False  # JSON lines: objects or lists kept as their JSON text
    missing_values: tuple[str, ...] = ()  # this column's own markers (sentinel numbers)
    classification: str = "internal"
    classification_note: str = ""
    items: list[DraftField] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    distinct: int = 0  # distinct present values (whole file)
    present: int = 0  # rows with a value (whole file)


def infer_field(
    source: str, text: pl.Series, rows: int, day: date | None, *, top_level: bool = True
) -> DraftField:
    """`text`: the column as ingestion sees it (normalised, the contract's markers null)."""
    named = english_name(source)
    values = text.drop_nulls()
    guess = guess_type(named.name or source, values)
    own_markers: tuple[str, ...] = ()
    if guess.logical_type in ("integer", "number"):
        own_markers = tuple(sentinels(values))
        if own_markers:
            values = values.filter(~values.is_in(list(own_markers)))
    drafted = DraftField(
        source=source,
        name=named.name,
        business_name=None if source.isascii() else source,
        logical_type=guess.logical_type,
        formats=guess.formats,
        required=values.len() == rows and rows > 0,
        missing_values=own_markers,
        notes=list(guess.notes),
        distinct=values.n_unique(),
        present=values.len(),
    )
    if not named.translated:
        drafted.notes.append(
            f"name {named.name or '(none)'!r}: the column name {source!r} was not fully "
            "understood # TODO: review"
        )
    if own_markers:
        drafted.notes.append(
            f"{', '.join(own_markers)} stand(s) for no value here (far above every other value)"
            " # TODO: review"
        )
    _presence_note(drafted, rows)
    if guess.logical_type == "string":
        _string_rules(drafted, values, top_level)
    elif guess.logical_type in ("integer", "number"):
        if values.len() and float(values.cast(pl.Float64).min()) >= 0:  # type: ignore[arg-type]
            drafted.minimum = 0
    elif guess.logical_type in ("date", "timestamp") and day is not None:
        _future_rule(drafted, values, guess, day)
    drafted.classification, drafted.classification_note = classify(drafted, values)
    return drafted


def _presence_note(drafted: DraftField, rows: int) -> None:
    empty = rows - drafted.present
    if 0 < empty <= max(1, rows // 100):
        drafted.notes.append(
            f"empty in {empty} of {rows:,} rows: if it is required, those rows are errors "
            "(required: true quarantines them) # TODO: review"
        )


def _string_rules(drafted: DraftField, values: pl.Series, top_level: bool) -> None:
    if values.len() == 0:
        return
    standard, note = standard_of(values)
    if standard is not None:
        drafted.standard = standard
        if note:
            drafted.notes.append(note)
        return
    code_like = is_code_like(values)
    identifier = _named(_CODE_NAME, drafted)
    text_like = _named(_TEXT_NAME, drafted)
    if not (code_like and identifier) and not text_like and _is_category(values, drafted.distinct):
        drafted.enum = tuple(sorted(values.unique().to_list()))
        rare = values.value_counts().filter(pl.col("count") == 1)
        drafted.notes.append(
            f"enumeration of the {_counted(len(drafted.enum), 'value')} seen in {values.len():,} rows: "
            "a value not listed is quarantined (enum_invalid); add the ones the department "
            "may also use # TODO: review"
            + (
                f" (seen once: {', '.join(sorted(rare[values.name].to_list()))})"
                if rare.height and values.len() >= 100
                else ""
            )
        )
        return
    if code_like and drafted.distinct > 1:
        guess = infer_pattern(values)
        if guess is not None:
            drafted.pattern = guess.pattern
            drafted.notes.append(
                f"pattern from {drafted.distinct:,} distinct value(s) # TODO: review"
            )
            drafted.notes += guess.notes


def _named(hint: re.Pattern[str], drafted: DraftField) -> bool:
    """The delivered name or the drafted one says it (each on its own: `^` and `$` hold)."""
    return any(hint.search(label) for label in (drafted.source or "", drafted.name) if label)


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _is_category(values: pl.Series, distinct: int) -> bool:
    longest = int(values.str.len_chars().max())  # type: ignore[arg-type]
    return (
        distinct <= ENUM_MAX and values.len() >= ENUM_REPEATS * distinct and longest <= ENUM_LONGEST
    )


def standard_of(values: pl.Series) -> tuple[str | None, str | None]:
    """The national standard a column's values follow (most of them), and who breaks it."""
    checks = (
        ("identity_number", _IDENTITY_SHAPE, _valid_identity, "identity_number_check", "GB 11643"),
        ("uscc", _USCC_SHAPE, _valid_uscc, "uscc_check", "GB 32100"),
        ("admin_county", r"^\d{6}$", _known("admin_county"), "admin_code_unknown", "GB/T 2260"),
        ("admin_township", r"^\d{9}$", _known("admin_township"), "admin_code_unknown", "townships"),
    )
    for standard, shape, valid, rule, name in checks:
        if not bool(values.str.contains(shape).all()):
            continue
        ok = valid(values)
        share = float(ok.mean())  # type: ignore[arg-type]
        if share < STANDARD_SHARE:
            continue
        bad = values.filter(~ok)
        note = None
        if bad.len():
            examples = ", ".join(repr(v) for v in bad.unique().sort().head(3).to_list())
            note = (
                f"{bad.len()} value(s) fail {name} (e.g. {examples}): ingestion quarantines "
                f"them ({rule}) # TODO: review"
            )
        return standard, note
    return None, None


def _valid_identity(values: pl.Series) -> pl.Series:
    return pl.Series(is_valid_identity_number(values.to_numpy()))


def _valid_uscc(values: pl.Series) -> pl.Series:
    return pl.Series(is_valid_uscc(values.to_numpy()))


def _known(standard: str) -> Callable[[pl.Series], pl.Series]:
    def valid(values: pl.Series) -> pl.Series:
        table = (
            admin_divisions.counties()
            if standard == "admin_county"
            else admin_divisions.townships()
        )
        return values.is_in(table["code"].implode())

    return valid


def _future_rule(drafted: DraftField, values: pl.Series, guess: TypeGuess, day: date) -> None:
    """notAfterDelivery when no value is later than the delivery day (and it is no deadline)."""
    parsed = pl.DataFrame({"value": values}).select(
        parse(probe_field(guess.logical_type, guess.formats), pl.col("value"))
    )
    typed = parsed.to_series()
    if guess.logical_type == "timestamp":
        start = datetime.combine(day + timedelta(days=1), datetime.min.time())
        zone = city_timezone()
        limit = pl.lit(start).dt.replace_time_zone(zone)
        later = pl.select(
            (pl.lit(typed).dt.convert_time_zone(zone) >= limit).alias("x")
        ).to_series()
    else:
        later = typed > day
    count = int(later.fill_null(False).sum())
    deadline = _named(_DEADLINE, drafted)
    if count == 0 and not deadline:
        drafted.not_after_delivery = True
        drafted.notes.append(
            f"no value is later than the delivery day {day}: notAfterDelivery "
            "(a later one is quarantined as date_in_future) # TODO: review"
        )
    elif count and not deadline and count <= max(1, values.len() // 20):
        examples = ", ".join(repr(v) for v in values.filter(later).head(3).to_list())
        drafted.notes.append(
            f"{count} value(s) are later than the delivery day {day} (e.g. {examples}): if "
            "they are errors, add notAfterDelivery: true # TODO: review"
        )


def classify(drafted: DraftField, values: pl.Series) -> tuple[str, str]:
    """`personal` for names, phones and identity numbers (by column name or content), else internal."""
    why = _personal_content(drafted, values)
    if why is None and _named(_PERSONAL_NAME, drafted):
        why = "its name says a person"
    if why is not None:
        extra = " (sensitive?)" if "identity" in why else ""
        return "personal", f"personal: {why}{extra} # TODO: review"
    return "internal", "TODO: review: internal by default (public, internal, personal, sensitive)"


def _personal_content(drafted: DraftField, values: pl.Series) -> str | None:
    if drafted.standard == "identity_number":
        return "identity numbers"
    if values.len() == 0 or drafted.logical_type != "string":
        return None
    if _share(values.str.contains(_MASKED_IDENTITY)) >= PERSONAL_SHARE:
        return "masked identity numbers"
    if _share(values.str.contains(_PHONE)) >= PERSONAL_SHARE:
        return "phone numbers"
    # Names rarely repeat: a column of few values (符合, 合格...) is a category, not people.
    if drafted.distinct * 2 >= values.len() and _share(_looks_like_names(values)) >= PERSONAL_SHARE:
        return "people's names"
    return None


def _looks_like_names(values: pl.Series) -> pl.Series:
    """Per value: 2-4 Chinese characters starting with a common surname (or a list of such)."""
    listed = values.str.replace_all(r"[、,，;；/ ]+", "、").str.split("、")
    frame = pl.DataFrame({"parts": listed}).select(
        pl.col("parts")
        .list.eval(
            pl.element().str.contains(r"^[\u4e00-\u9fff]{2,4}$")
            & pl.element().str.slice(0, 1).is_in(list(SURNAMES))
        )
        .list.all()
    )
    return frame.to_series()


def _share(flags: pl.Series) -> float:
    return float(flags.mean()) if flags.len() else 0.0  # type: ignore[arg-type]

"""What a column's delivered text is: missing-value markers, logical type, date and time formats.

Every value is judged as ingestion will see it: normalised the same way (trimmed,
full-width made half-width, empty is missing) and parsed by ingestion's own expressions
(`enforce.scalar_expr`), so a type or format the draft declares reads every value of the
sample it was drafted from.

Fast on large files: hypotheses are formed on a sample of rows (`SAMPLE_ROWS`), then
checked against the whole column with one vectorised parse; values the sample missed and
no chosen format reads are tried against every format once more (they are few). A type is
only declared when it reads every value of the file: a draft never quarantines a row for
its type (what nearly fits is said in a comment instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts.model import Field
from pipelines.lib.contracts.vocabulary import EPOCH_MS
from pipelines.lib.ingest.enforce import columns_with_full_width, scalar_expr
from pipelines.lib.standards.text import normalise_text_expr

SAMPLE_ROWS = 50_000  # rows whose values form the hypotheses, per column
PROBE_VALUES = 300  # distinct values every format is tried on first

# What departments write for "no value". Numbers such as 9999 are sentinels only in number
# columns whose other values are far smaller (see `sentinels`).
MARKER_WORDS = (
    "NA",
    "N/A",
    "n/a",
    "#N/A",
    "NULL",
    "null",
    "None",
    "none",
    "NaN",
    "nan",
    "-",
    "--",
    "---",
    "/",
    "无",
    "空",
    "暂无",
    "不详",
)
SENTINELS = ("9999", "99999", "999999", "-9999", "-99999", "-999")

DATE_PARTS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y%m%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m-%d-%Y",
    "%d-%m-%Y",
)
TIME_PARTS = (
    " %H:%M:%S",
    " %H:%M",
    "T%H:%M:%S",
    "T%H:%M",
    "T%H:%M:%S%z",
    " %H:%M:%S%z",
    " %I:%M:%S %p",
    " %I:%M %p",
    " %H%M%S",
    " %H%M",
    " %H:%M:%S%.f",
    "T%H:%M:%S%.f",
    "T%H:%M:%S%.f%z",
)
CHINESE_TIMES = (
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y%m%d%H%M%S",
)
# Plain date formats first: among formats that read the same values, the first listed wins.
FORMATS = tuple(
    dict.fromkeys([*DATE_PARTS, *(d + t for t in TIME_PARTS for d in DATE_PARTS), *CHINESE_TIMES])
)
_DAY_MONTH_SWAPS = {"%m/%d/%Y": "%d/%m/%Y", "%m-%d-%Y": "%d-%m-%Y"}

EPOCH_MS_RANGE = (946_684_800_000, 4_102_444_800_000)  # 2000-01-01 to 2100-01-01
_WHOLE = r"^[-+]?\d+$"
_DECIMAL = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"
_TEMPORAL_NAME = re.compile(r"(date|time|day|_at$|^at_|_dt$|^dt_|日期|时间|时刻|期限|有效期)")
_CODE_NAME = re.compile(
    r"(^|_)(id|no|code|zip|zipcode|postcode|phone|tel|mobile|number)(_|$)|编号|代码|号码|编码|单号|号$|电话|手机|邮编"
)


@dataclass
class TypeGuess:
    logical_type: str  # string, integer, number, boolean, date, timestamp
    formats: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def normalised_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The delivered text as ingestion compares it: half-width, trimmed, empty as null.

    Like ingestion, only columns holding a full-width character are rewritten (most hold none).
    """
    frame = frame.select(pl.all().cast(pl.String))
    wide = columns_with_full_width(frame)
    return frame.select(normalise_text_expr(pl.col(c), c in wide).alias(c) for c in frame.columns)


def markers_in(frame: pl.DataFrame) -> dict[str, list[str]]:
    """Which marker words each column holds (the columns already normalised)."""
    counts = frame.select(
        [pl.col(c).is_in(list(MARKER_WORDS)).sum().alias(c) for c in frame.columns]
    ).row(0, named=True)
    found: dict[str, list[str]] = {}
    for column, count in counts.items():
        if count:
            seen = frame[column].filter(frame[column].is_in(list(MARKER_WORDS))).unique()
            found[column] = sorted(seen.to_list(), key=MARKER_WORDS.index)
    return found


def sentinels(values: pl.Series) -> list[str]:
    """Sentinel numbers (9999...) in a number column whose other values are far smaller.

    Returned as spelt in the file (`9999`, `9999.0`): markers are compared as text.
    """
    numbers = values.cast(pl.Float64, strict=False)
    candidates = numbers.is_in([float(s) for s in SENTINELS])
    if not bool(candidates.any()):
        return []
    rest = numbers.filter(~candidates).abs().drop_nulls()
    largest = float(rest.max()) if rest.len() else 0.0  # type: ignore[arg-type]
    spelt = values.filter(candidates & (numbers.abs() > largest * 5)).unique().sort()
    return spelt.to_list()


def city_timezone() -> str:
    """The zone of delivered times without an offset: the city profile's (contracts/city.yaml)."""
    return city_profile().timezone


def parse(f: Field, value: pl.Expr) -> pl.Expr:
    """Ingestion's own parse of a delivered value (enforce.scalar_expr), in the city's zone."""
    return scalar_expr(f, value, city_timezone())


def probe_field(logical_type: str, formats: tuple[str, ...] = ()) -> Field:
    """A bare field of a type, to parse values with ingestion's own expressions."""
    return Field(
        name="value",
        logical_type=logical_type,
        physical_type="",
        required=False,
        unique=False,
        primary_key_position=None,
        classification="internal",
        description=None,
        business_name=None,
        source="value",
        source_aliases=(),
        source_formats=formats,
        pattern=None,
        min_length=None,
        max_length=None,
        minimum=None,
        maximum=None,
        enum=(),
        standard=None,
        not_after_delivery=False,
        timezone=None,  # the city's, as for a contract that names none
        items=(),
        line=0,
    )


def parses(values: pl.Series, logical_type: str, formats: tuple[str, ...] = ()) -> pl.Series:
    """Per value: ingestion reads it as that type (with those formats)."""
    expr = parse(probe_field(logical_type, formats), pl.col("value"))
    return pl.DataFrame({"value": values}).select(expr.is_not_null()).to_series()


def guess_type(name: str, values: pl.Series) -> TypeGuess:
    """The type of a column's present values (normalised, markers removed, nulls dropped)."""
    if values.len() == 0:
        return TypeGuess(
            "string", notes=["always empty in the sample: its type is unknown # TODO: review"]
        )
    sample = values.sample(SAMPLE_ROWS, seed=0) if values.len() > SAMPLE_ROWS else values
    if bool(values.str.contains(_WHOLE).all()):
        return _whole_numbers(name, values)
    lowered = set(sample.unique().str.to_lowercase().to_list())
    two_valued = lowered <= {"true", "false"} or lowered <= {"是", "否"}
    if two_valued and bool(parses(values, "boolean").all()):
        return TypeGuess("boolean")
    if bool(values.str.contains(_DECIMAL).all()) and bool(parses(values, "number").all()):
        return TypeGuess("number")
    temporal = temporal_guess(values, sample)
    if temporal is not None:
        return temporal
    return TypeGuess("string", notes=_near_misses(values))


def _whole_numbers(name: str, values: pl.Series) -> TypeGuess:
    """Digits only: epoch milliseconds, a date written as digits, a code, or a whole number."""
    lengths = values.str.len_chars()
    shortest, longest = int(lengths.min()), int(lengths.max())  # type: ignore[arg-type]
    numbers = values.cast(pl.Int64, strict=False)
    if (
        shortest >= 12
        and longest <= 13
        and bool(numbers.is_between(*EPOCH_MS_RANGE).all())
        and bool(parses(values, "timestamp", (EPOCH_MS,)).all())
    ):
        return TypeGuess(
            "timestamp",
            (EPOCH_MS,),
            notes=["13-digit numbers within 2000-2100 read as epoch milliseconds # TODO: review"],
        )
    if _TEMPORAL_NAME.search(name) and shortest == longest and shortest in (8, 14):
        fmt = "%Y%m%d" if shortest == 8 else "%Y%m%d%H%M%S"
        kind = "date" if shortest == 8 else "timestamp"
        if bool(parses(values, kind, (fmt,)).all()):
            return TypeGuess(kind, (fmt,))
    leading_zero = bool(values.str.contains(r"^[-+]?0\d").any())
    fixed = shortest == longest and shortest >= 6
    if leading_zero or fixed or longest > 15 or _CODE_NAME.search(name):
        why = (
            "leading zeros"
            if leading_zero
            else "a fixed length"
            if fixed
            else "too long for a number"
            if longest > 15
            else "a name that says code or number"
        )
        return TypeGuess("string", notes=[f"digits kept as text ({why}): a code, not a quantity"])
    if bool(parses(values, "integer").all()):
        return TypeGuess("integer")
    return TypeGuess("string")


def temporal_guess(values: pl.Series, sample: pl.Series) -> TypeGuess | None:
    """Dates or timestamps when some set of known formats reads every value of the column."""
    distinct = sample.unique().sort()
    probe = distinct.sample(PROBE_VALUES, seed=0) if distinct.len() > PROBE_VALUES else distinct
    if not bool(probe.str.contains(r"\d").all()):
        return None
    tried = _parsed_by(probe, FORMATS)
    likely = [fmt for fmt in FORMATS if tried[fmt].any()]
    read = pl.DataFrame(tried).select(pl.any_horizontal(likely)).to_series() if likely else None
    if read is None or float(read.mean()) < 0.5:  # type: ignore[arg-type]
        return None
    chosen = _cover(distinct, likely)
    # The sample may miss a rare format: check every value, and cover what is left over.
    for _ in range(3):
        left = values.filter(~parses(values, _kind(chosen), tuple(chosen))).unique().sort()
        if left.len() == 0:
            break
        more = [f for f in _cover(left, list(FORMATS)) if f not in chosen]
        if not more:
            return _unreadable_dates(values, chosen, left)
        chosen += more
    else:
        return _unreadable_dates(values, chosen, left)
    kind = _kind(chosen)
    ordered = _by_use(sample, kind, chosen)
    notes = []
    if len(ordered) > 1:
        notes.append(f"{len(ordered)} formats in one column, most used first")
    for fmt in ordered:
        twin = _DAY_MONTH_SWAPS.get(fmt)
        if twin and bool(parses(sample, kind, (twin,)).sum() >= parses(sample, kind, (fmt,)).sum()):
            notes.append(
                f"{fmt!r} and {twin!r} both read these values: month first assumed # TODO: review"
            )
    return TypeGuess(kind, tuple(ordered), notes)


def _unreadable_dates(values: pl.Series, chosen: list[str], left: pl.Series) -> TypeGuess:
    kind = _kind(chosen)
    read = 1 - _share(values.is_in(left.implode()))
    examples = ", ".join(repr(v) for v in left.head(3).to_list())
    return TypeGuess(
        "string",
        notes=[
            f"{read:.1%} of the values are {kind}s in {_listed(chosen)}; "
            f"{left.len()} distinct value(s) fit no known format (e.g. {examples}): declared "
            f"string. If those are errors, make it a {kind} with these formats (they are then "
            "quarantined as type_invalid) # TODO: review"
        ],
    )


def _parsed_by(values: pl.Series, formats: tuple[str, ...] | list[str]) -> dict[str, pl.Series]:
    frame = pl.DataFrame({"value": values})
    parsed = frame.select(
        [
            parse(probe_field(_kind([f]), (f,)), pl.col("value")).is_not_null().alias(f)
            for f in formats
        ]
    )
    return {f: parsed[f] for f in formats}


def _cover(values: pl.Series, formats: list[str]) -> list[str]:
    """Few formats (chosen greedily) reading as many of the values as any of them can."""
    parsed = _parsed_by(values, formats)
    left = pl.Series([True] * values.len())
    chosen: list[str] = []
    while bool(left.any()):
        best = max(formats, key=lambda f: int((parsed[f] & left).sum()))
        if int((parsed[best] & left).sum()) == 0:
            break
        chosen.append(best)
        left = left & ~parsed[best]
    return chosen


def _kind(formats: list[str] | tuple[str, ...]) -> str:
    return "timestamp" if any("%H" in f or "%I" in f for f in formats) else "date"


def _by_use(values: pl.Series, kind: str, formats: list[str]) -> list[str]:
    """The formats a column needs, the one reading the most values (of the sample) first."""
    counts = {f: int(parses(values, kind, (f,)).sum()) for f in formats}
    return sorted(formats, key=lambda f: (-counts[f], formats.index(f)))


def _share(flags: pl.Series) -> float:
    mean = flags.mean()
    return float(mean) if isinstance(mean, int | float) else 0.0


def _listed(formats: list[str]) -> str:
    return ", ".join(repr(f) for f in formats)


def _near_misses(values: pl.Series) -> list[str]:
    """A text column that is nearly all numbers: say so, the engineer may want the number."""
    numeric = values.str.contains(_DECIMAL)
    share = float(numeric.mean())  # type: ignore[arg-type]
    if 0.95 <= share < 1:
        odd = values.filter(~numeric).unique().sort().head(3).to_list()
        return [
            f"{share:.1%} of the values are numbers; the others are e.g. "
            f"{', '.join(repr(v) for v in odd)}: declared string. If those are errors, make it "
            "a number (they are then quarantined as type_invalid) # TODO: review"
        ]
    return []

"""Delivery conventions a contract declares, as polars expressions over whole columns.

Missing-value markers, values derived from several delivered columns (a timestamp from
a date and a time, or from calendar parts; coordinates from one point string), unit
conversion and cross-column rules. `enforce` puts them in place; nothing here loops
over rows.

Working columns: a derived field's parts are kept as normalised text under
`PART + "<field>.<part>"`, a declared point under `POINT`, beside the field's own
`TEXT + <field>` (see enforce.py), which for a derived field is "something delivered":
null only when every part is missing, so `required_missing` means what it says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import polars as pl

from pipelines.lib.contracts import CrossColumnRule, FeedContract, Field, PointSource
from pipelines.lib.ingest.rule import Rule
from pipelines.lib.standards.units import conversion_factor

PART = "_part_"
POINT = "_point_"

# A decimal number as departments write one (no thousands separators: those are text).
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = rf"^\(?\s*({_NUMBER})\s*[,\s]\s*({_NUMBER})\s*\)?$"
# Per point format: the pattern, and the groups holding longitude and latitude.
POINT_PATTERNS: dict[str, tuple[str, int, int]] = {
    "lat,lon": (_PAIR, 2, 1),
    "lon,lat": (_PAIR, 1, 2),
    "wkt": (rf"(?i)^POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)$", 1, 2),
}
# Significant digits kept after a unit conversion: a double holds 15 exactly, and
# 0.035 mg/m³ is then 35 µg/m³, not 35.00000000000001.
_CONVERTED_DIGITS = 15


def without_markers(text: pl.Expr, markers: tuple[str, ...]) -> pl.Expr:
    """Normalised text with the declared missing-value markers (`NA`, `-`, `无`...) as null."""
    if not markers:
        return text
    return text.replace(list(markers), None)


def converted(number: pl.Expr, f: Field) -> pl.Expr:
    """A number in the unit the department delivers, in the unit bronze stores."""
    if f.source_unit is None or f.unit is None:
        return number
    return (number * conversion_factor(f.source_unit, f.unit)).round_sig_figs(_CONVERTED_DIGITS)


def labelled(name: str, columns: tuple[str, ...]) -> str:
    """How a quarantine row names a derived field: the field and the delivered columns involved."""
    return f"{name} ({', '.join(columns)})"


# ------------------------------------------------------------------ derived dates and times


def part_column(f: Field, part: str) -> str:
    return f"{PART}{f.name}.{part}"


def _parts(f: Field) -> list[pl.Expr]:
    assert f.derived is not None
    return [pl.col(part_column(f, part)) for part, _ in f.derived.parts]


def derived_text(f: Field) -> pl.Expr:
    """What was delivered for a derived field: its parts joined, null when none was."""
    parts = _parts(f)
    return (
        pl.when(pl.any_horizontal([p.is_not_null() for p in parts]))
        .then(pl.concat_str(parts, separator=" ", ignore_nulls=True))
        .otherwise(None)
    )


def _complete(f: Field) -> pl.Expr:
    return pl.all_horizontal([p.is_not_null() for p in _parts(f)])


def part_number(f: Field, part: str) -> pl.Expr:
    """A calendar part as a whole number ("03", "3", "3.0"), null when it is not one."""
    number = pl.col(part_column(f, part)).cast(pl.Float64, strict=False)
    return pl.when(number == number.round(0)).then(number).cast(pl.Int64, strict=False)


def derived_value(
    f: Field, text: pl.Expr, parse: Callable[[Field, pl.Expr], pl.Expr], zone: str
) -> pl.Expr:
    """The typed value of a derived field, null unless every part is there and they make one.
    `zone`: the city's, for times delivered without an offset."""
    assert f.derived is not None
    if f.derived.kind == "date_time":
        # The text is "<date> <time>" when complete, read with the field's sourceFormats.
        return pl.when(_complete(f)).then(parse(f, text))
    numbers = {part: part_number(f, part) for part, _ in f.derived.parts}
    year = numbers["year"]
    pieces = [pl.when(year.is_between(1000, 9999)).then(year), numbers["month"], numbers["day"]]
    if f.logical_type == "date":
        return pl.format("{}-{}-{}", *pieces).str.to_date("%Y-%m-%d", strict=False)
    clock = [numbers.get(part, pl.lit(0)) for part in ("hour", "minute", "second")]
    stamp = pl.format("{}-{}-{} {}:{}:{}", *pieces, *clock)
    return stamp.str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"
    ).dt.replace_time_zone(f.timezone or zone, non_existent="null", ambiguous="null")


def derived_rules(f: Field, value: pl.Expr, text: pl.Expr) -> Iterator[Rule]:
    """A part missing while others are there; a part that is no number; parts that make no value."""
    assert f.derived is not None
    for part, column in f.derived.parts:
        missing = pl.col(part_column(f, part)).is_null()
        yield Rule("derived_incomplete", labelled(f.name, (column,)), text.is_not_null() & missing)
    whole_parts = pl.lit(True)
    if f.derived.kind == "calendar":
        for part, column in f.derived.parts:
            given = pl.col(part_column(f, part))
            bad = given.is_not_null() & part_number(f, part).is_null()
            whole_parts = whole_parts & ~bad
            yield Rule("type_invalid", labelled(f.name, (column,)), bad)
    invalid = _complete(f) & whole_parts & value.is_null()
    yield Rule("derived_invalid", labelled(f.name, f.derived.columns), invalid)


# ------------------------------------------------------------------ one string, two coordinates


def point_axis_text(point: PointSource, axis: str) -> pl.Expr:
    """The longitude or latitude text of the delivered point; the whole point when it does not parse.

    Keeping the unparsed text means the value is "delivered but invalid", never "missing":
    `point_rule` reports it, naming the point's column.
    """
    pattern, lon_group, lat_group = POINT_PATTERNS[point.format]
    group = lon_group if axis == "longitude" else lat_group
    whole = pl.col(POINT)
    return pl.coalesce(whole.str.extract(pattern, group), whole)


def point_rule(contract: FeedContract) -> Rule | None:
    spec = contract.coordinates
    if spec is None or spec.point is None:
        return None
    pattern = POINT_PATTERNS[spec.point.format][0]
    whole = pl.col(POINT)
    return Rule(
        "derived_invalid",
        labelled(f"{spec.longitude},{spec.latitude}", (spec.point.source,)),
        whole.is_not_null() & ~whole.str.contains(pattern),
    )


def point_fed(contract: FeedContract) -> frozenset[str]:
    spec = contract.coordinates
    if spec is None or spec.point is None:
        return frozenset()
    return frozenset({spec.longitude, spec.latitude})


# ------------------------------------------------------------------ cross-column rules

_BROKEN_WHEN: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "notBefore": lambda a, b: a < b,
    "atLeast": lambda a, b: a < b,
    "notAfter": lambda a, b: a > b,
    "atMost": lambda a, b: a > b,
    "after": lambda a, b: a <= b,
    "greaterThan": lambda a, b: a <= b,
    "before": lambda a, b: a >= b,
    "lessThan": lambda a, b: a >= b,
}


def cross_column_rule(
    contract: FeedContract, rule: CrossColumnRule, text_of: Callable[[str], pl.Expr]
) -> Rule:
    """Broken when both values are there and the comparison fails (requiredWhen: see below)."""
    columns = f"{rule.column},{rule.other}"
    if rule.check == "requiredWhen":
        # Text, not value: an undeliverable value is type_invalid, not missing.
        return Rule(
            rule.name, columns, text_of(rule.column).is_null() & text_of(rule.other).is_not_null()
        )
    a, b = pl.col(rule.column), pl.col(rule.other)
    if contract.field(rule.column).logical_type == "timestamp":
        a, b = a.dt.convert_time_zone("UTC"), b.dt.convert_time_zone("UTC")
    return Rule(rule.name, columns, _BROKEN_WHEN[rule.check](a, b))

"""Hold deliveries to their contract: typed, standardised rows for bronze, the rest to quarantine.

The contract compiles into polars expressions evaluated over whole columns at
once (never a Python loop per row): parse every value from the department's
text, convert coordinates to WGS-84, then test each rule. A row that breaks any
rule goes to quarantine with the first rule it broke (in contract order), all
the rules it broke, the column, and its original values as delivered.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache

import numpy as np
import polars as pl

from pipelines.lib import admin_divisions
from pipelines.lib.city_profile import CityProfile
from pipelines.lib.contracts import FeedContract, Field
from pipelines.lib.ingest.conventions import (
    POINT,
    converted,
    cross_column_rule,
    derived_rules,
    derived_text,
    derived_value,
    part_column,
    point_axis_text,
    point_fed,
    point_rule,
    without_markers,
)
from pipelines.lib.ingest.read import REJECT_COLUMN, SOURCE_ROW, RawDelivery
from pipelines.lib.ingest.rule import Rule
from pipelines.lib.standards.coordinates import bd09_to_wgs84, gcj02_to_wgs84
from pipelines.lib.standards.identifiers import (
    identity_birth_days,
    is_valid_identity_number,
    is_valid_uscc,
)
from pipelines.lib.standards.text import FULL_WIDTH_PATTERN, normalise_text_expr

SOURCE_FILE, DELIVERY_DATE = "_source_file", "_delivery_date"
TEXT = "_text_"  # prefix of a field's delivered text, kept beside its parsed value while rules run
DAY, NEXT_DAY = (
    "_delivery_day",
    "_next_day_start",
)  # the delivery day; "in the future" starts at NEXT_DAY (the city's time zone)
BATCH, ROW = (
    "_delivery",
    "_row",
)  # which delivery of a batch a row came from; the row's place in the batch
MISSING = "_missing_"  # prefix of a flag: the row's delivery lacked this contracted column
LATE = "_late"
# Instances (pl.String()): mypy types a mix of classes and instances as dict[str, object].
QUARANTINE_SCHEMA = pl.Schema(
    {
        SOURCE_FILE: pl.String(),
        SOURCE_ROW: pl.Int64(),
        DELIVERY_DATE: pl.Date(),
        "rule": pl.String(),
        "rules": pl.List(pl.String),
        "column": pl.String(),
        "original": pl.String(),  # the delivered values: a JSON object by delivered column name, or the raw line
    }
)
# A string longer than this is refused even where the contract sets no maxLength: no field is 10 MB.
DEFAULT_MAX_LENGTH = 4_000


# Key hashes already in bronze: one Series, or the chunks a multi-day ingestion collects.
KeyHashes = pl.Series | list[pl.Series]


@dataclass
class Enforced:
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    landed: int
    columns_missing: list[str] = field(
        default_factory=list
    )  # contracted columns absent from the file
    columns_renamed: dict[str, str] = field(default_factory=dict)  # field -> alias the file used
    columns_unexpected: list[str] = field(
        default_factory=list
    )  # delivered columns no contract names
    late_rows: int = 0  # rows older than the SLA's latency on arrival
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One landing file, read: the day it was delivered for and its path under the data directory."""

    raw: RawDelivery
    day: date
    source_file: str
    # The delivered columns holding a full-width character (more may be named: the text of those
    # is made half-width, which changes nothing else), found from the rows unless given. Ingestion
    # gives those of the whole batch, found on the reading thread beside the enforcement of the
    # batch before it: one look at a batch's rows, not one per file (60 small files of a feed).
    full_width: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.full_width is None:
            object.__setattr__(
                self, "full_width", frozenset(columns_with_full_width(self.raw.rows))
            )


class EnforcementFailed(Exception):
    """A delivery could not be held to its contract even with its rows set aside (a bug)."""


def enforce_batch(
    contract: FeedContract,
    deliveries: list[Delivery],
    prior_keys: KeyHashes | None = None,
    *,
    city: CityProfile,
) -> list[Enforced]:
    """Hold several deliveries of one feed to its contract in one pass; one result per delivery.

    `city` gives the extent points must lie in and the time zone of delivered times that
    carry no offset (unless the contract names another) and of delivery days.

    Deliveries come in date order: a key repeated in a later one is a duplicate, as is one
    in `prior_keys` (key hashes already in bronze). One pass over many small files costs
    what one file costs: the per-file overhead of planning the rules is paid once.

    A row that breaks the enforcement itself (an error in this code, never a broken rule) is
    that row's problem: the deliveries are held to the contract one by one, the rows that
    fail alone are found and quarantined as `row_unprocessable` (all of a delivery's rows if
    none fails alone), with a note naming them and the error. EnforcementFailed names a
    delivery that fails even then.
    """
    try:
        return _enforce_together(contract, deliveries, prior_keys, city)
    except Exception as error:
        if not deliveries:
            raise
        return _enforce_apart(contract, deliveries, prior_keys, city, error)


def _enforce_apart(
    contract: FeedContract,
    deliveries: list[Delivery],
    prior_keys: KeyHashes | None,
    city: CityProfile,
    error: Exception,
) -> list[Enforced]:
    """One delivery at a time (keys of the earlier ones carried), setting aside the rows that fail."""
    keys: list[pl.Series] = (
        []
        if prior_keys is None
        else [prior_keys]
        if isinstance(prior_keys, pl.Series)
        else list(prior_keys)
    )
    results = []
    for delivery in deliveries:
        try:
            (result,) = _enforce_together(contract, [delivery], keys, city)
        except Exception as alone:
            result = _without_failing_rows(contract, delivery, keys, city, alone)
        if contract.key and result.valid.height:
            keys.append(result.valid.select(key_hash(contract.key)).to_series())
        results.append(result)
    return results


UNPROCESSABLE = "row_unprocessable"


def _without_failing_rows(
    contract: FeedContract,
    delivery: Delivery,
    keys: list[pl.Series],
    city: CityProfile,
    error: Exception,
) -> Enforced:
    """The delivery held to the contract with the rows that fail on their own quarantined."""
    raw = delivery.raw

    def fails(rows: pl.DataFrame) -> bool:
        part = RawDelivery(rows, raw.rejects.clear(), raw.columns, raw.encoding)
        try:
            _enforce_together(contract, [replace(delivery, raw=part)], None, city)
        except Exception:
            return True
        return False

    failing: list[int] = []
    pending = [raw.rows] if raw.rows.height else []
    while pending:  # halving: a few bad rows among many cost a few dozen small passes
        rows = pending.pop()
        if not fails(rows):
            continue
        if rows.height == 1:
            failing.append(rows[SOURCE_ROW][0])
            continue
        half = rows.height // 2
        pending += [rows.slice(half), rows.slice(0, half)]
    reason = f"{type(error).__name__}: {_first_line(error)}"
    if failing:
        note = f"rows {', '.join(map(str, sorted(failing)))} could not be held to the contract"
    else:  # only together do the rows fail: the delivery's problem, not the batch's
        failing = raw.rows[SOURCE_ROW].to_list()
        note = "the rows could not be held to the contract together, none alone"
    rejects = original_values(raw.rows, pl.Series(failing, dtype=pl.Int64)).select(
        SOURCE_ROW,
        pl.lit(UNPROCESSABLE).alias("rule"),
        pl.lit(reason).alias("detail"),
        "original",
    )
    kept = RawDelivery(
        raw.rows.filter(~pl.col(SOURCE_ROW).is_in(failing)),
        pl.concat([raw.rejects, rejects], how="diagonal_relaxed"),
        raw.columns,
        raw.encoding,
        [*raw.notes, f"{note} ({reason}): quarantined as {UNPROCESSABLE}; please report it"],
    )
    try:
        (result,) = _enforce_together(contract, [replace(delivery, raw=kept)], keys, city)
    except Exception as again:
        raise EnforcementFailed(
            f"{delivery.source_file}: could not be held to its contract ({reason})"
        ) from again
    return result


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"


def _enforce_together(
    contract: FeedContract,
    deliveries: list[Delivery],
    prior_keys: KeyHashes | None,
    city: CityProfile,
) -> list[Enforced]:
    resolutions = [resolve_columns(contract, d.raw.columns) for d in deliveries]
    # Columns are added by hstack here and below: with_columns builds a frame anew, some 30 ms
    # a batch of 640,000 rows (traffic_flow on `large`), where hstack shares the columns.
    rows = pl.concat(
        [
            d.raw.rows.hstack(
                [pl.repeat(i, d.raw.rows.height, dtype=pl.Int32, eager=True).alias(BATCH)]
            )
            for i, d in enumerate(deliveries)
        ],
        how="diagonal_relaxed",
    )
    present = set().union(*(d.raw.columns for d in deliveries))
    resolved = {
        key: tuple(c for c in names if c in present)
        for key, names in all_source_names(contract).items()
    }
    full_width = set().union(*(d.full_width or () for d in deliveries))
    days = [d.day for d in deliveries]
    # One pass for text and types, one for the rules; coordinates are converted in between with numpy.
    parsed = (
        rows.lazy()
        .select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW),
            pl.col(BATCH),
            pl.col(SOURCE_ROW),
            *delivered_texts(contract, resolved, full_width),
            *[
                pl.col(BATCH)
                .is_in(
                    [
                        i
                        for i, (_, _, missing) in enumerate(resolutions)
                        if set(field_inputs(contract, f)) & set(missing)
                    ]
                )
                .alias(MISSING + f.name)
                for f in contract.fields
                if f.required
            ],
            pl.col(BATCH)
            .replace_strict(list(range(len(days))), days, return_dtype=pl.Date)
            .alias(DAY),
        )
        .with_columns(*combined_texts(contract))
        .with_columns(
            *[
                typed_expr(f, pl.col(TEXT + f.name), city.timezone).alias(f.name)
                for f in contract.fields
            ],
            (pl.col(DAY).cast(pl.Datetime("us")) + pl.duration(days=1))
            .dt.replace_time_zone(city.timezone)
            .alias(NEXT_DAY),
        )
        .collect()
    )
    parsed = with_check_digits(contract, with_wgs84(contract, parsed))
    rules = contract_rules(contract, city)
    # Flags first, as plain columns: the rule expressions are large (check digits), and
    # referring to them twice in one expression makes the query planner do much more work.
    # (A select of the flags plans in milliseconds; with_columns on the wide frame took ten times
    # longer. Lazily: the eager select's in-memory engine took 110 ms for traffic_flow's 955,000
    # readings where collect takes 80.)
    flag_frame = (
        parsed.lazy()
        .select(
            pl.col(ROW),  # keeps the frame's height when every rule is a constant
            *[r.broken.fill_null(False).alias(f"_flag{i}") for i, r in enumerate(rules)],
        )
        .collect()
        .drop(ROW)
    )
    flags = [pl.col(f"_flag{i}") for i in range(len(rules))]
    # Which rule failed first is worked out for the few failing rows only.
    failing = flag_frame.select(pl.any_horizontal(flags) if flags else pl.lit(False)).to_series()
    first = flag_frame.filter(failing).select(
        first_failure(rules, flags, "rule").alias("_rule"),
        first_failure(rules, flags, "column").alias("_column"),
    )
    rule = pl.repeat(None, parsed.height, dtype=pl.String, eager=True).alias("_rule")
    column = pl.repeat(None, parsed.height, dtype=pl.String, eager=True).alias("_column")
    if first.height:
        at = np.flatnonzero(failing.to_numpy())
        rule, column = rule.scatter(at, first["_rule"]), column.scatter(at, first["_column"])
    checked = parsed.hstack([*flag_frame.get_columns(), rule, column])
    checked = mark_duplicates(contract, checked, prior_keys)

    # Lazily, so that only the kept columns are filtered (not the texts and the flags).
    valid = (
        checked.lazy()
        .filter(pl.col("_rule").is_null())
        .select(
            BATCH,
            *[pl.col(f.name) for f in contract.fields],
            SOURCE_ROW,
            DAY,
            *late_flag(contract),
        )
        .collect()
    )
    # Every rule a failed row breaks (few rows: computed only for them, filtered lazily too).
    failed = (
        checked.lazy()
        .filter(pl.col("_rule").is_not_null())
        .select(
            BATCH,
            SOURCE_ROW,
            "_rule",
            pl.when(pl.col("_rule") == "duplicate_key")
            .then(pl.lit(["duplicate_key"]))
            .otherwise(
                pl.concat_list(
                    [
                        pl.when(flag).then(pl.lit(r.rule))
                        for flag, r in zip(flags, rules, strict=True)
                    ]
                ).list.drop_nulls()
            )
            .alias("_rules"),
            "_column",
        )
        .collect()
    )
    valid_parts, failed_parts = (
        by_delivery(valid, len(deliveries)),
        by_delivery(failed, len(deliveries)),
    )
    return [
        delivery_result(contract, delivery, resolution, valid_parts[i], failed_parts[i])
        for i, (delivery, resolution) in enumerate(zip(deliveries, resolutions, strict=True))
    ]


def by_delivery(frame: pl.DataFrame, deliveries: int) -> list[pl.DataFrame]:
    """Each delivery's rows: the batch keeps deliveries in order, so they are slices (no copies)."""
    counts = frame[BATCH].value_counts().sort(BATCH)
    sizes = dict(zip(counts[BATCH].to_list(), counts["count"].to_list(), strict=True))
    parts, offset = [], 0
    for i in range(deliveries):
        size = sizes.get(i, 0)
        parts.append(frame.slice(offset, size).drop(BATCH))
        offset += size
    return parts


def delivery_result(
    contract: FeedContract,
    delivery: Delivery,
    resolution: tuple[dict, dict[str, str], list[str]],
    valid: pl.DataFrame,
    failed: pl.DataFrame,
) -> Enforced:
    """One delivery's share of a batch: its bronze rows, its quarantine (with the reader's rejects), its schema."""
    _, renamed, missing = resolution
    raw = delivery.raw
    lineage = [
        pl.lit(delivery.source_file).alias(SOURCE_FILE),
        pl.col(SOURCE_ROW),
        pl.lit(delivery.day).alias(DELIVERY_DATE),
    ]
    quarantine = (
        # Most deliveries quarantine nothing: some 2 ms a file saved (60 small files of a feed).
        pl.DataFrame(schema=QUARANTINE_SCHEMA)
        if failed.height == 0 and raw.rejects.height == 0
        else pl.concat(
            [
                failed.join(
                    original_values(raw.rows, failed[SOURCE_ROW]), on=SOURCE_ROW, how="left"
                ).select(
                    *lineage,
                    pl.col("_rule").alias("rule"),
                    pl.col("_rules").alias("rules"),
                    pl.col("_column").alias("column"),
                    pl.col("original"),
                ),
                raw.rejects.select(
                    *lineage,
                    "rule",
                    pl.concat_list(pl.col("rule")).alias("rules"),
                    # A reader may name the column that broke the row (a JSON value's type, a workbook's failed formula).
                    pl.col(REJECT_COLUMN)
                    if REJECT_COLUMN in raw.rejects.columns
                    else pl.lit(None, pl.String).alias("column"),
                    "original",
                ),
            ],
            how="vertical_relaxed",
        )
        .cast(QUARANTINE_SCHEMA)
        .sort(SOURCE_ROW)
    )
    late = int(valid[LATE].sum()) if LATE in valid.columns else 0
    unexpected = sorted(
        set(raw.columns) - {name for names in all_source_names(contract).values() for name in names}
    )
    return Enforced(
        valid=valid.select(*[pl.col(f.name) for f in contract.fields], *lineage),
        quarantine=quarantine,
        landed=raw.landed,
        columns_missing=[all_source_names(contract)[key][0] for key in missing],
        columns_renamed=renamed,
        columns_unexpected=unexpected,
        late_rows=late,
        notes=list(raw.notes),
    )


# ------------------------------------------------------------------ columns


@cache
def all_source_names(contract: FeedContract) -> dict[str, tuple[str, ...]]:
    """Every delivered column the contract reads, by what it feeds, with the names it may have.

    A field's name for a field read from one column (its source, then its aliases);
    `<field>.<part>` for each part of a derived field; POINT for a declared point.
    """
    inputs: dict[str, tuple[str, ...]] = {}
    fed = point_fed(contract)
    for f in contract.fields:
        if f.derived is not None:
            inputs |= {f"{f.name}.{part}": (column,) for part, column in f.derived.parts}
        elif f.name not in fed:
            inputs[f.name] = (f.source or f.name, *f.source_aliases)
    point = contract.coordinates.point if contract.coordinates is not None else None
    if point is not None:
        inputs[POINT] = (point.source,)
    return inputs


def field_inputs(contract: FeedContract, f: Field) -> tuple[str, ...]:
    """The keys of all_source_names that field `f` is read from."""
    if f.derived is not None:
        return tuple(f"{f.name}.{part}" for part, _ in f.derived.parts)
    return (POINT,) if f.name in point_fed(contract) else (f.name,)


def delivered_texts(
    contract: FeedContract, resolved: dict[str, tuple[str, ...]], full_width: set[str]
) -> list[pl.Expr]:
    """The normalised delivered text of every input: a field's, a derived field's parts, a point."""
    texts = []
    for f in contract.fields:
        if f.derived is not None:
            texts += [
                scalar_text(resolved[f"{f.name}.{part}"], f.missing_values, full_width).alias(
                    part_column(f, part)
                )
                for part, _ in f.derived.parts
            ]
        elif f.name not in point_fed(contract):
            texts.append(text_expr(f, resolved[f.name], full_width).alias(TEXT + f.name))
    if POINT in resolved:
        texts.append(scalar_text(resolved[POINT], contract.missing_values, full_width).alias(POINT))
    return texts


def combined_texts(contract: FeedContract) -> list[pl.Expr]:
    """The text of fields built from other inputs: derived fields, and coordinates from a point."""
    texts = [derived_text(f).alias(TEXT + f.name) for f in contract.fields if f.derived]
    spec = contract.coordinates
    if spec is not None and spec.point is not None:
        for axis, name in (("longitude", spec.longitude), ("latitude", spec.latitude)):
            texts.append(point_axis_text(spec.point, axis).alias(TEXT + name))
    return texts


def resolve_columns(
    contract: FeedContract, delivered: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str], list[str]]:
    """Which delivered columns feed each input: its source name, else a known alias (drift)."""
    present = set(delivered)
    resolved, renamed, missing = {}, {}, []
    for name, candidates in all_source_names(contract).items():
        found = tuple(c for c in candidates if c in present)
        if not found:
            missing.append(name)
            continue
        resolved[name] = found
        if found[0] != candidates[0]:
            renamed[name] = found[0]
    return resolved, renamed, missing


def columns_with_full_width(rows: pl.DataFrame) -> set[str]:
    """Delivered text columns holding any full-width character (most hold none: skip the rewrite).

    A column whose bytes and characters count the same is ASCII: nothing full-width in it,
    and no pattern to search.
    """
    text = [c for c, dtype in rows.schema.items() if dtype == pl.String]
    if not text or rows.height == 0:
        return set()
    # Lazily: an eager select runs on polars' in-memory engine, slower on wide text columns.
    lengths = (
        rows.lazy()
        .select(
            (pl.col(c).str.len_bytes().sum() != pl.col(c).str.len_chars().sum()).alias(c)
            for c in text
        )
        .collect()
        .row(0, named=True)
    )
    wide = [c for c, non_ascii in lengths.items() if non_ascii]
    if not wide:
        return set()
    found = (
        rows.lazy()
        .select(pl.col(c).str.contains(FULL_WIDTH_PATTERN).any().alias(c) for c in wide)
        .collect()
        .row(0, named=True)
    )
    return {c for c, present in found.items() if present}


def text_expr(f: Field, columns: tuple[str, ...], full_width: set[str] | None = None) -> pl.Expr:
    """The field's delivered text, normalised (half-width, trimmed, empty or a marker = missing)."""
    if f.logical_type != "array":
        return scalar_text(columns, f.missing_values, full_width)
    if not columns:
        return pl.lit(None, pl.List(pl.Struct({sub.name: pl.String for sub in f.items})))
    value = pl.coalesce([pl.col(c) for c in columns]) if len(columns) > 1 else pl.col(columns[0])
    item = pl.element()
    return value.list.eval(
        pl.struct(
            [
                without_markers(
                    normalise_text_expr(path_expr(item, sub.source or sub.name)),
                    sub.missing_values,
                ).alias(sub.name)
                for sub in f.items
            ]
        )
    )


def scalar_text(
    columns: tuple[str, ...], markers: tuple[str, ...], full_width: set[str] | None = None
) -> pl.Expr:
    """One value's delivered text from the first of `columns` that has it, normalised."""
    if not columns:
        return pl.lit(None, pl.String)
    value = pl.coalesce([pl.col(c) for c in columns]) if len(columns) > 1 else pl.col(columns[0])
    half_width = full_width is None or any(c in full_width for c in columns)
    return without_markers(normalise_text_expr(value.cast(pl.String), half_width), markers)


def path_expr(item: pl.Expr, dotted: str) -> pl.Expr:
    for part in dotted.split("."):
        item = item.struct.field(part)
    return item.cast(pl.String)


# ------------------------------------------------------------------ types


def typed_expr(f: Field, value: pl.Expr, zone: str) -> pl.Expr:
    """Parse the field's text into its logical type; unparseable text becomes null (and a rule breaks).

    `zone`: the city's time zone, for timestamps whose contract names none."""
    if f.logical_type == "array":
        return value.list.eval(
            pl.struct(
                [
                    scalar_expr(sub, pl.element().struct.field(sub.name), zone).alias(sub.name)
                    for sub in f.items
                ]
            )
        )
    if f.derived is not None:
        return derived_value(f, value, lambda field, text: scalar_expr(field, text, zone), zone)
    return scalar_expr(f, value, zone)


def scalar_expr(f: Field, value: pl.Expr, zone: str) -> pl.Expr:
    kind = f.logical_type
    if kind == "string":
        return value
    if kind == "number":
        return converted(value.cast(pl.Float64, strict=False), f)
    if kind == "integer":
        number = converted(value.cast(pl.Float64, strict=False), f)
        return pl.when(number == number.round(0)).then(number).cast(pl.Int64, strict=False)
    if kind == "boolean":
        return value.str.to_lowercase().replace_strict(
            {"true": True, "1": True, "是": True, "false": False, "0": False, "否": False},
            default=None,
            return_dtype=pl.Boolean,
        )
    if kind == "date":
        return pl.coalesce([value.str.to_date(fmt, strict=False) for fmt in f.source_formats])
    if kind == "timestamp":
        return pl.coalesce(
            [timestamp_expr(value, fmt, f.timezone or zone) for fmt in f.source_formats]
        )
    raise ValueError(f"{f.name}: no parser for logical type {kind!r}")


def timestamp_expr(value: pl.Expr, fmt: str, zone: str) -> pl.Expr:
    """One input format to an instant in the feed's time zone (naive times are local time there)."""
    if fmt == "epoch_ms":
        millis = value.cast(pl.Int64, strict=False)
        return (
            pl.from_epoch(millis, time_unit="ms")
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(zone)
        )
    if "%z" in fmt:
        return value.str.to_datetime(fmt, strict=False, time_unit="us").dt.convert_time_zone(zone)
    return value.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone(
        zone, non_existent="null", ambiguous="null"
    )


def with_wgs84(contract: FeedContract, typed: pl.DataFrame) -> pl.DataFrame:
    """Coordinates delivered in GCJ-02 or BD-09 are stored as WGS-84 (numpy over whole columns)."""
    spec = contract.coordinates
    if spec is None or spec.system == "WGS84" or typed.height == 0:
        return typed
    convert = {"GCJ02": gcj02_to_wgs84, "BD09": bd09_to_wgs84}[spec.system]
    # The two columns taken as they are: an eager select on the wide frame runs on polars'
    # in-memory engine and cost 50 ms a batch of 955,000 readings (traffic_flow on `large`).
    coordinates = pl.DataFrame([typed.get_column(spec.longitude), typed.get_column(spec.latitude)])
    # Sensors repeat one point thousands of times: convert each distinct point once.
    # NaN and infinities (type_invalid unless allowed) have no position to convert.
    points = (
        coordinates.unique()
        .drop_nulls()
        .filter(pl.col(spec.longitude).is_finite() & pl.col(spec.latitude).is_finite())
    )
    lon, lat = convert(
        points[spec.longitude].to_numpy().astype(np.float64),
        points[spec.latitude].to_numpy().astype(np.float64),
    )
    converted = points.with_columns(pl.Series("_lon", lon), pl.Series("_lat", lat))
    # Joined on the two columns alone, then put in place: a join of the whole (wide) frame
    # would copy every column.
    wgs84 = coordinates.join(
        converted, on=[spec.longitude, spec.latitude], how="left", maintain_order="left"
    ).select(  # an unconverted point keeps its values, and the rule that broke on them
        pl.coalesce("_lon", spec.longitude).alias(spec.longitude),
        pl.coalesce("_lat", spec.latitude).alias(spec.latitude),
    )
    return typed.with_columns(wgs84.get_columns())


# Check characters are computed with numpy: faster than the equivalent polars
# expression at every size (and far cheaper to plan on small files).
CHECK_DIGITS = {"identity_number": is_valid_identity_number, "uscc": is_valid_uscc}
CHECK = "_check_"  # prefix of a column saying the field's check character is right (or it is empty)


def identifiers_valid(standard: str, values: np.ndarray, days: pl.Series) -> np.ndarray:
    """Where each identifier is valid; an identity number's holder must also be born by its delivery day."""
    valid = CHECK_DIGITS[standard](values)
    if standard == "identity_number":
        year, month, day = (
            part.cast(pl.Int64) for part in (days.dt.year(), days.dt.month(), days.dt.day())
        )
        valid &= identity_birth_days(values) <= (year * 10_000 + month * 100 + day).to_numpy()
    return valid


def with_check_digits(contract: FeedContract, parsed: pl.DataFrame) -> pl.DataFrame:
    checks = []
    for f in contract.fields:
        if f.standard in CHECK_DIGITS:
            text = parsed[TEXT + f.name]
            checks.append(
                pl.Series(
                    CHECK + f.name,
                    identifiers_valid(f.standard, text.to_numpy(), parsed[DAY])
                    | text.is_null().to_numpy(),
                )
            )
        for sub in f.items:
            if sub.standard in CHECK_DIGITS:
                checks.append(item_checks(parsed, f, sub).alias(f"{CHECK}{f.name}.{sub.name}"))
    return parsed.with_columns(checks) if checks else parsed


def item_checks(parsed: pl.DataFrame, array: Field, item: Field) -> pl.Series:
    """Per row: every item's check character is right (or empty).

    A row with no items (an empty list, or none) keeps its place as one null value: true.
    """
    if item.standard not in CHECK_DIGITS:
        raise ValueError(f"{array.name}.{item.name}: {item.standard} has no check character")
    flat = parsed.select(
        pl.int_range(pl.len()).alias("_row"),
        pl.col(array.name).list.eval(pl.element().struct.field(item.name)).alias("_v"),
        pl.col(DAY),
    ).explode("_v", empty_as_null=True, keep_nulls=True)
    valid = (
        identifiers_valid(item.standard, flat["_v"].to_numpy(), flat[DAY])
        | flat["_v"].is_null().to_numpy()
    )
    return (
        flat.with_columns(pl.Series("_ok", valid))
        .group_by("_row", maintain_order=True)
        .agg(pl.col("_ok").all())["_ok"]
    )


# ------------------------------------------------------------------ rules


@cache
def contract_rules(contract: FeedContract, city: CityProfile) -> list[Rule]:
    """Every rule of the contract, in the order a row's first failure is reported.

    Built once per contract and city: the expressions refer to the delivery (its day, which
    columns it lacked) through columns of the batch, never as literals.
    """
    return list(_contract_rules(contract, city))


def _contract_rules(contract: FeedContract, city: CityProfile) -> Iterator[Rule]:
    point = point_rule(contract)  # the point is declared before the schema: its rule comes first
    if point is not None:
        yield point
    fed = point_fed(contract)
    for f in contract.fields:
        if f.required:
            yield Rule("column_missing", f.name, pl.col(MISSING + f.name))
        yield from field_rules(
            f, pl.col(f.name), pl.col(TEXT + f.name), city.timezone, typed_alone=f.name not in fed
        )
        if f.logical_type == "array":
            for sub in f.items:
                # Item properties are text in every contract so far: the element is both text and value.
                items = pl.col(f.name).list.eval(pl.element().struct.field(sub.name))
                for rule in field_rules(sub, pl.element(), pl.element(), city.timezone):
                    if sub.standard in CHECK_DIGITS and rule.rule == f"{sub.standard}_check":
                        yield Rule(
                            rule.rule,
                            f"{f.name}.{sub.name}",
                            ~pl.col(f"{CHECK}{f.name}.{sub.name}"),
                        )
                    else:
                        yield Rule(
                            rule.rule,
                            f"{f.name}.{sub.name}",
                            items.list.eval(rule.broken.fill_null(False)).list.any(),
                        )
    if contract.coordinates is not None:
        spec = contract.coordinates
        lon, lat = pl.col(spec.longitude), pl.col(spec.latitude)
        box = city.bounds
        outside = ~(
            lon.is_between(box.lon_min, box.lon_max) & lat.is_between(box.lat_min, box.lat_max)
        )
        yield Rule(
            "coordinates_outside_city",
            f"{spec.longitude},{spec.latitude}",
            lon.is_not_null() & lat.is_not_null() & outside,
        )
    for declared in contract.rules:
        yield cross_column_rule(contract, declared, lambda name: pl.col(TEXT + name))


@cache
def known_codes(level: str) -> pl.Series:
    table = admin_divisions.counties() if level == "admin_county" else admin_divisions.townships()
    return table["code"]


def field_rules(
    f: Field, value: pl.Expr, text: pl.Expr, zone: str, *, typed_alone: bool = True
) -> Iterator[Rule]:
    """The field's own rules; `zone` is the city's, in which delivery days begin and end.
    `typed_alone`: its text is its own (not a part of a point, checked there)."""
    name = f.name
    if f.required:
        yield Rule("required_missing", name, text.is_null())
    if f.derived is not None:
        yield from derived_rules(f, value, text)
    elif typed_alone and f.logical_type not in ("string", "array"):
        unparsed = value.is_null()
        if f.logical_type == "number" and not f.allow_non_finite:
            # NaN and the infinities (1e400 reads as one) are no quantity: a contract allows them.
            unparsed = unparsed | ~value.is_finite()
        yield Rule("type_invalid", name, text.is_not_null() & unparsed)
    if f.logical_type == "string":
        yield Rule("control_character", name, text.str.contains(CONTROL_CHARACTERS))
        if f.pattern:
            yield Rule("pattern_mismatch", name, ~text.str.contains(f.pattern))
        limit = f.max_length or DEFAULT_MAX_LENGTH
        yield Rule("value_too_long", name, text.str.len_chars() > limit)
        if f.min_length:
            yield Rule("value_too_short", name, text.str.len_chars() < f.min_length)
    if f.enum:
        yield Rule("enum_invalid", name, ~text.is_in(list(f.enum)))
    yield from range_rules(f, value, zone)
    if f.standard in CHECK_DIGITS:
        yield Rule(f"{f.standard}_check", name, ~pl.col(CHECK + name))
    elif f.standard in ("admin_county", "admin_township"):
        yield Rule("admin_code_unknown", name, ~text.is_in(known_codes(f.standard).implode()))
    if f.not_after_delivery:
        if f.logical_type == "date":
            yield Rule("date_in_future", name, value > pl.col(DAY))
        else:
            yield Rule("date_in_future", name, value.dt.convert_time_zone(zone) >= pl.col(NEXT_DAY))


# Unicode control characters (Cc) but tab, line feed and carriage return, which free text may
# hold: a NUL or an escape in a name is a broken export, never data.
CONTROL_CHARACTERS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"


def range_rules(f: Field, value: pl.Expr, zone: str) -> Iterator[Rule]:
    """`value_out_of_range`: a number outside its bounds, a day before the earliest plausible one."""
    if f.earliest is not None:
        day = value if f.logical_type == "date" else value.dt.convert_time_zone(f.timezone or zone)
        yield Rule("value_out_of_range", f.name, day.dt.date() < f.earliest)
    if f.logical_type not in ("number", "integer"):
        return
    outside = []
    if f.minimum is not None:
        outside.append(value < f.minimum)
    if f.maximum is not None:
        outside.append(value > f.maximum)
    if f.exclusive_minimum is not None:
        outside.append(value <= f.exclusive_minimum)
    if f.exclusive_maximum is not None:
        outside.append(value >= f.exclusive_maximum)
    # NaN (where a contract allows it) is in no range: polars would order it above every number.
    unordered = value.is_nan() if f.logical_type == "number" else pl.lit(False)
    for broken in outside:
        yield Rule("value_out_of_range", f.name, broken | unordered)


def first_failure(rules: list[Rule], flags: list[pl.Expr], what: str) -> pl.Expr:
    if not rules:
        return pl.lit(None, pl.String)
    values = [
        pl.when(flag).then(pl.lit(getattr(rule, what)))
        for flag, rule in zip(flags, rules, strict=True)
    ]
    return pl.coalesce(values)


def mark_duplicates(
    contract: FeedContract, checked: pl.DataFrame, prior_keys: KeyHashes | None
) -> pl.DataFrame:
    """Among otherwise valid rows, a key already delivered (earlier in the batch or before) is a duplicate."""
    if not contract.key:
        return checked
    valid = (
        checked.lazy()
        .filter(pl.col("_rule").is_null())
        .select(ROW, key_hash(contract.key).alias("_key"))
        .collect()
    )
    # In delivery and file order, the first delivery of a key stands: `unique` keeps each key's
    # first row (35 ms for 955,000 keys, where is_first_distinct took 65).
    first = valid.lazy().with_row_index("_at").unique("_key", keep="first").select("_at").collect()
    repeated = np.ones(valid.height, dtype=bool)
    repeated[first["_at"].to_numpy()] = False
    delivered_before = seen_before(valid["_key"], prior_keys)
    if delivered_before.len():
        repeated |= valid["_key"].is_in(delivered_before.implode()).to_numpy()
    if not repeated.any():
        return checked
    # ROW is each row's position (numbered when parsed, never reordered since): the duplicates
    # are set in place, as the first broken rules are, not by a pass over every row.
    at = valid[ROW].to_numpy()[repeated]
    marked = checked.clone()  # a shallow copy: the caller's frame keeps its columns
    for name, value in (("_rule", "duplicate_key"), ("_column", ",".join(contract.key))):
        column = checked[name].clone().scatter(at, value)
        marked.replace_column(marked.get_column_index(name), column)
    return marked


def seen_before(keys: pl.Series, prior_keys: KeyHashes | None) -> pl.Series:
    """The keys of this batch already delivered before it.

    The earlier keys can be many (19 million for a large city's detector counts): they are
    probed against a hash set of this batch's keys, which stays small, instead of building
    a set of all of them for every batch. The day's chunks are probed as one series of
    chunks (not copied): probing chunk by chunk built the batch's set once per earlier day,
    which made a feed's ingestion quadratic in its days (12 of traffic_flow's 43 s on `large`).
    """
    if prior_keys is None or keys.len() == 0:
        return keys.clear()
    chunks = [prior_keys] if isinstance(prior_keys, pl.Series) else prior_keys
    earlier = [chunk for chunk in chunks if chunk.len()]
    if not earlier:
        return keys.clear()
    prior = pl.concat(earlier, rechunk=False)
    return prior.filter(prior.is_in(keys.implode()))


def key_hash(key: tuple[str, ...]) -> pl.Expr:
    """A row's key as one 64-bit hash: the same for the same typed values in this file and in bronze."""
    return pl.struct([pl.col(k) for k in key]).hash(seed=0)


def original_values(rows: pl.DataFrame, source_rows: pl.Series) -> pl.DataFrame:
    """The given rows as delivered: their columns and values as a JSON object, nothing reinterpreted."""
    delivered = [c for c in rows.columns if c != SOURCE_ROW]
    chosen = rows.filter(pl.col(SOURCE_ROW).is_in(source_rows.implode()))
    if not delivered:
        return chosen.select(SOURCE_ROW, pl.lit(None, pl.String).alias("original"))
    return chosen.select(SOURCE_ROW, pl.struct(delivered).struct.json_encode().alias("original"))


def late_flag(contract: FeedContract) -> list[pl.Expr]:
    """Whether a row's SLA element is older than the latency allows on the day it arrived."""
    element = contract.sla.latency_element
    if element is None:
        return []
    f = contract.field(element)
    value = pl.col(element)
    day = value if f.logical_type == "date" else value.dt.date()
    limit = pl.col(DAY) - pl.duration(days=math.ceil(contract.sla.latency_days))
    return [(day < limit).fill_null(False).alias(LATE)]

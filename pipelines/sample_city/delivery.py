"""From a feed's true rows to the files a department delivers, and the truth about each row.

Every feed goes through the same steps: plant invalid rows (each with the rule
it breaks), render dates the department's way, re-deliver a few rows
(duplicate keys), split by delivery day, now and then drift a file's columns,
write it in the department's format, and record for every written row which
file and line it is, which rule it breaks and which noise it carries.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from pipelines.lib.city_profile import CityProfile
from pipelines.sample_city.config import Noise
from pipelines.sample_city.noise import date_strings

# Row-level bookkeeping columns carried alongside a department's own columns; never written.
RID, DAY, NOISE, INVALID, INVALID_COLUMN, ORDER = (
    "_rid",
    "_day",
    "_noise",
    "_invalid",
    "_invalid_column",
    "_order",
)

MIN_ROWS_PER_RULE = 8
KEEP_VALID = "_keep_valid"  # a bookkeeping column: rows no rule violation is planted in
# (rows to break, generator, the city: its extent and codes) -> the broken columns
Corrupt = Callable[[pl.DataFrame, np.random.Generator, CityProfile], dict[str, pl.Series]]


@dataclass(frozen=True)
class Corruption:
    """A planted violation: the rule a contract should catch, and how to break it."""

    rule: str
    columns: tuple[str, ...]  # a row is eligible when all of these hold a value
    corrupt: Corrupt


@dataclass(frozen=True)
class DateStyle:
    primary: str
    alternates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedSpec:
    department: str
    feed: str
    fmt: str  # "csv", "jsonl" or "xlsx"
    key: str | tuple[str, ...]  # the department's natural key column(s)
    # csv only: "gb18030" (GBK-compatible; rare township characters need its 4-byte forms), "utf-8", "utf-8-sig"
    encoding: str = "utf-8"
    dates: dict[str, DateStyle] = field(default_factory=dict)
    corruptions: list[Corruption] = field(default_factory=list)
    drift_renames: dict[str, str] = field(default_factory=dict)
    drift_added_column: str = "remark"
    sheet: str = "警情"  # xlsx only: the worksheet's name
    # jsonl feeds nest some flat columns just before writing (e.g. vehicles and drivers); the
    # city's time zone is the one their local times are in
    finalize: Callable[[pl.DataFrame, str], pl.DataFrame] | None = None
    # a register whose rows the lake rejects is corrected: the department sends each such row
    # again, right, the next day (the last day's on the last day)
    resend_corrected: bool = False

    @property
    def extension(self) -> str:
        return self.fmt


@dataclass
class Batch:
    """A feed's true rows (department columns + bookkeeping) and the entities each row describes."""

    rows: pl.DataFrame  # must hold RID, DAY and NOISE
    links: pl.DataFrame  # RID, entity_kind, entity_id, role
    truth_tables: dict[str, pl.DataFrame] = field(
        default_factory=dict
    )  # extra truth, e.g. planted episodes


@dataclass
class Delivered:
    rows: int = 0
    files: int = 0
    invalid: int = 0
    drifts: list[dict] = field(default_factory=list)


def noise_flags(**masks: np.ndarray) -> pl.Series:
    """A list column naming, per row, the noises whose mask is set."""
    frame = pl.DataFrame({name: mask for name, mask in masks.items()})
    return frame.select(
        pl.concat_list([pl.when(pl.col(name)).then(pl.lit(name)) for name in masks])
        .list.drop_nulls()
        .alias(NOISE)
    )[NOISE]


def add_noise(rows: pl.DataFrame, **masks: np.ndarray) -> pl.DataFrame:
    return rows.with_columns(pl.col(NOISE).list.concat(noise_flags(**masks)))


def plant_invalid(
    spec: FeedSpec, rows: pl.DataFrame, rng: np.random.Generator, rate: float, city: CityProfile
) -> pl.DataFrame:
    """Break one rule in about `rate` of the rows, choosing among the rules each row can break."""
    n, k = rows.height, len(spec.corruptions)
    if k == 0:
        return rows.with_columns(
            pl.lit(None, pl.String).alias(INVALID), pl.lit(None, pl.String).alias(INVALID_COLUMN)
        )
    eligible = np.column_stack(
        [
            rows.select(pl.all_horizontal(pl.col(c).is_not_null() for c in corruption.columns))
            .to_series()
            .to_numpy()
            for corruption in spec.corruptions
        ]
    )
    if KEEP_VALID in rows.columns:  # planted truth a test looks for is never broken
        eligible &= ~rows[KEEP_VALID].fill_null(False).to_numpy()[:, None]
    scores = np.where(eligible, rng.random((n, k)), -1.0)
    choice = np.where((rng.random(n) < rate) & eligible.any(axis=1), scores.argmax(axis=1), -1)
    # Every rule appears at least once in a delivery big enough to carry them all,
    # so even a tiny city tests each contract rule.
    if n >= MIN_ROWS_PER_RULE * k:
        for index in range(k):
            if not (choice == index).any():
                free = np.flatnonzero(eligible[:, index] & (choice == -1))
                if len(free):
                    choice[free[rng.integers(0, len(free))]] = index
    for index, corruption in enumerate(spec.corruptions):
        selected = np.flatnonzero(choice == index)
        if len(selected) == 0:
            continue
        for column, values in corruption.corrupt(rows[selected], rng, city).items():
            rows = rows.with_columns(
                rows[column].scatter(selected, values.cast(rows.schema[column]))
            )

    def label(values: list[str]) -> pl.Series:
        return pl.Series(choice).replace_strict(
            list(range(k)), values, default=None, return_dtype=pl.String
        )

    return rows.with_columns(
        label([c.rule for c in spec.corruptions]).alias(INVALID),
        label([",".join(c.columns) for c in spec.corruptions]).alias(INVALID_COLUMN),
    )


def render_dates(
    spec: FeedSpec, rows: pl.DataFrame, rng: np.random.Generator, rate: float, timezone: str
) -> pl.DataFrame:
    mixed = np.zeros(rows.height, dtype=bool)
    for column, style in spec.dates.items():
        rendered, changed = date_strings(
            rows[column], rng, rate, style.primary, style.alternates, timezone
        )
        rows = rows.with_columns(rendered.alias(column))
        mixed |= changed
    return add_noise(rows, mixed_date_format=mixed)


def plant_duplicates(
    spec: FeedSpec, batch: Batch, rng: np.random.Generator, rate: float, last_day: date
) -> Batch:
    rows = batch.rows
    source = np.flatnonzero((rng.random(rows.height) < rate) & rows[INVALID].is_null().to_numpy())
    if len(source) == 0:
        return batch
    last_rid = rows[RID].max()
    assert isinstance(last_rid, int), "record ids are integers, and there are rows"
    first_new = last_rid + 1
    new_rid = np.arange(first_new, first_new + len(source))
    lag = pl.Series(rng.integers(0, 3, len(source))).cast(pl.Int32)
    copies = rows[source].with_columns(
        pl.Series(RID, new_rid),
        pl.min_horizontal(pl.col(DAY) + pl.duration(days=pl.lit(lag)), pl.lit(last_day)).alias(DAY),
        pl.lit("duplicate_key").alias(INVALID),
        pl.lit(record_key_columns(spec.key)).alias(INVALID_COLUMN),
        pl.lit(["duplicate"], dtype=pl.List(pl.String)).alias(NOISE),
    )
    mapping = pl.DataFrame({"_old": rows[RID].gather(source), "_new": new_rid})
    copied_links = (
        batch.links.join(mapping, left_on=RID, right_on="_old").drop(RID).rename({"_new": RID})
    )
    return Batch(
        rows=pl.concat([rows, copies.select(rows.columns)]),
        links=pl.concat([batch.links, copied_links.select(batch.links.columns)]),
    )


def resend_corrected(original: Batch, rows: pl.DataFrame, last_day: date) -> Batch:
    """`rows` (with planted violations) and, for each broken one, its true row sent again the
    next day, with the entities it describes."""
    broken = rows[INVALID].is_not_null().to_numpy()
    if not broken.any():
        return Batch(rows, original.links)
    last_rid = rows[RID].max()
    assert isinstance(last_rid, int), "record ids are integers, and there are rows"
    new_rid = np.arange(last_rid + 1, last_rid + 1 + int(broken.sum()))
    copies = original.rows.filter(pl.Series(broken)).with_columns(
        pl.Series(RID, new_rid),
        pl.min_horizontal(pl.col(DAY) + pl.duration(days=1), pl.lit(last_day)).alias(DAY),
        pl.lit(None, pl.String).alias(INVALID),
        pl.lit(None, pl.String).alias(INVALID_COLUMN),
        pl.lit(["resent_corrected"], dtype=pl.List(pl.String)).alias(NOISE),
    )
    mapping = pl.DataFrame({"_old": rows[RID].filter(pl.Series(broken)), "_new": new_rid})
    copied_links = (
        original.links.join(mapping, left_on=RID, right_on="_old").drop(RID).rename({"_new": RID})
    )
    return Batch(
        rows=pl.concat([rows, copies.select(rows.columns)]),
        links=pl.concat([original.links, copied_links.select(original.links.columns)]),
    )


def drift(
    columns: list[str], spec: FeedSpec, rng: np.random.Generator
) -> tuple[list[str], dict[str, str], str]:
    """Change a file's columns the way a department's export changes without notice."""
    kind = ["rename", "add", "reorder"][rng.integers(0, 3)]
    if kind == "rename" and spec.drift_renames:
        old = list(spec.drift_renames)[rng.integers(0, len(spec.drift_renames))]
        return columns, {old: spec.drift_renames[old]}, f"rename {old} -> {spec.drift_renames[old]}"
    if kind == "add":
        return [*columns, spec.drift_added_column], {}, f"add {spec.drift_added_column}"
    moved = columns[:]
    a, b = rng.choice(len(moved), 2, replace=False)
    moved[a], moved[b] = moved[b], moved[a]
    return moved, {}, f"reorder {moved[b]} <-> {moved[a]}"


def write_file(spec: FeedSpec, frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.fmt == "csv":
        text = frame.write_csv(null_value="")
        path.write_bytes(text.encode(spec.encoding))
    elif spec.fmt == "jsonl":
        path.write_bytes(frame.write_ndjson().encode("utf-8"))
    elif spec.fmt == "xlsx":
        write_xlsx(frame, path, spec.sheet, spec.department)
    else:
        raise ValueError(f"unknown delivery format {spec.fmt!r}")


def write_xlsx(frame: pl.DataFrame, path: Path, sheet_name: str, author: str) -> None:
    """A plain worksheet, as a department's office software exports it; fixed metadata so output is reproducible."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    workbook.set_properties({"created": datetime(2026, 1, 1), "author": author})
    sheet = workbook.add_worksheet(sheet_name)
    sheet.write_row(0, 0, frame.columns)
    for row_number, row in enumerate(frame.iter_rows(), start=1):  # xlsxwriter writes cell by cell
        sheet.write_row(row_number, 0, ["" if value is None else value for value in row])
    workbook.close()
    path.write_bytes(buffer.getvalue())


def deliver(
    spec: FeedSpec,
    batch: Batch,
    data_dir: Path,
    rng: np.random.Generator,
    noise: Noise,
    days: list[date],
    drift_days: set[date],
    city: CityProfile,
    windows: Windows | None = None,
) -> Delivered:
    """Write a feed's daily files under landing/ and its truth under ground_truth/.

    Every day in `days` gets a file: a quiet day is a header-only delivery, as
    departments send them, not a missing one. Local times are the city's. With `windows`
    (a sub-daily feed's contract, `safecity generate --windows`), every window of the day
    gets a file instead, named as the contract's `windowFile`, each row in the window of its
    own time (`windows.column`; one without a time in the day's first).
    """
    rows = plant_invalid(spec, batch.rows, rng, noise.invalid, city)
    if spec.resend_corrected:
        batch = resend_corrected(batch, rows, days[-1])
        rows = batch.rows
    if windows is not None:
        rows = rows.with_columns(window_minute(rows[windows.column], windows.minutes))
    rows = render_dates(spec, rows, rng, noise.mixed_date_format, city.timezone)
    batch = plant_duplicates(spec, Batch(rows, batch.links), rng, noise.duplicate, days[-1])
    # Re-sent rows come after the rows they repeat, as a resend does (last in the day's file).
    resent = (pl.col(INVALID) == "duplicate_key").fill_null(False)
    rows = batch.rows.with_columns(pl.Series(ORDER, rng.random(batch.rows.height))).sort(
        DAY, resent, ORDER
    )
    department_columns = [c for c in rows.columns if not c.startswith("_")]
    stats = Delivered()
    feed_dir = Path("landing") / spec.department / spec.feed
    truth_dir = Path("ground_truth")
    for day, minute in delivery_files(days, windows):
        day_rows = rows.filter(pl.col(DAY) == day)
        if windows is None or minute is None:
            relative = feed_dir / f"{spec.feed}_{day:%Y%m%d}.{spec.extension}"
        else:
            day_rows = day_rows.filter(pl.col(WINDOW) == minute)
            relative = feed_dir / windows.file_name(day, minute)
        frame = day_rows.select(department_columns)
        if spec.finalize is not None:
            frame = spec.finalize(frame, city.timezone)
        columns = frame.columns
        renames: dict[str, str] = {}
        if day in drift_days and not minute:  # a window feed: the day's first window
            columns, renames, change = drift(frame.columns, spec, rng)
            stats.drifts.append(
                {
                    "department": spec.department,
                    "feed": spec.feed,
                    "file": relative.as_posix(),
                    "change": change,
                }
            )
        if spec.drift_added_column in columns and spec.drift_added_column not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(spec.drift_added_column))
        write_file(spec, frame.select(columns).rename(renames), data_dir / relative)
        stats.files += 1
        stats.rows += frame.height
        stats.invalid += int(day_rows[INVALID].is_not_null().sum())
        truth = day_rows.select(
            pl.lit(spec.department).alias("department"),
            pl.lit(spec.feed).alias("feed"),
            pl.lit(relative.as_posix()).alias("file"),
            pl.int_range(1, pl.len() + 1).alias("row_number"),
            record_key(spec.key).alias("record_key"),
            pl.col(DAY).alias("delivery_date"),
            pl.col(INVALID).alias("invalid_rule"),
            pl.col(INVALID_COLUMN).alias("invalid_column"),
            pl.col(NOISE).alias("noise"),
            pl.col(RID),
        )
        part = truth_dir / "records" / spec.department / spec.feed / f"{relative.stem}.parquet"
        _write_parquet(truth.drop(RID), data_dir / part)
        links = (
            truth.select("department", "feed", "file", "row_number", RID)
            .join(batch.links, on=RID, how="inner")
            .drop(RID)
            .sort("row_number", "entity_kind", "role", "slot")
        )
        _write_parquet(
            links,
            data_dir
            / truth_dir
            / "links"
            / spec.department
            / spec.feed
            / f"{relative.stem}.parquet",
        )
    return stats


WINDOW = "_window"  # bookkeeping: the minute of the day a row's window starts at


@dataclass(frozen=True)
class Windows:
    """A sub-daily feed's delivery: a file per window of `minutes`, named by `file_name`."""

    minutes: int
    column: str  # the department's column whose time places a row in its window
    file_name: Callable[[date, int], str]  # (day, minute of the day) -> the file's name


def window_minute(times: pl.Series, minutes: int) -> pl.Series:
    """The start of each row's window, minutes into its day; 0 for a row without a time."""
    minute = times.dt.hour().cast(pl.Int32) * 60 + times.dt.minute().cast(pl.Int32)
    return ((minute // minutes) * minutes).fill_null(0).alias(WINDOW)


def delivery_files(days: list[date], windows: Windows | None) -> list[tuple[date, int | None]]:
    """(day, window start) of every file delivered: a day each, or every window of each day."""
    if windows is None:
        return [(day, None) for day in days]
    return [(day, m) for day in days for m in range(0, 24 * 60, windows.minutes)]


def record_key_columns(key: str | tuple[str, ...]) -> str:
    return key if isinstance(key, str) else ",".join(key)


def record_key(key: str | tuple[str, ...]) -> pl.Expr:
    columns = (key,) if isinstance(key, str) else key
    return pl.concat_str(
        [pl.col(c).cast(pl.String) for c in columns], separator="|", ignore_nulls=True
    )


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, statistics=False)

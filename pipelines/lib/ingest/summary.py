"""What ingestion found, for one delivery day or several: the checks and metadata read this.

A step builds one summary per delivery day it ingested (that day's materialisation carries
it) and one over its whole range (the run's totals); `lake_summary` reads the same figures
back from the lake for days a step did not ingest, and for the checks, which judge every
day the feed holds, not only the days of the last run.

Reading every day back made a daily step's checks cost as much as the lake is long (on `large`,
4.4 s of a daily ingestion's 25 s at 60 days, and growing by the day). With a cache
(`DataDir.lake_figures`: each part's rows and its quarantine's counts by rule and column, by its
files' size and modification time) a step reads only the parts written since it last looked,
and those it wants samples of failed rows from.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.ingest import Ingested
from pipelines.lib.ingest.lake import has_parts, partition, window_of_part
from pipelines.lib.storage import Location, file_stamp, is_remote, read_parquet
from pipelines.lib.work_cache import read_cache, write_cache

STANDARD_RULES = (
    "identity_number_check",
    "uscc_check",
    "admin_code_unknown",
    "coordinates_outside_city",
    "date_in_future",
)
REQUIRED_RULES = ("required_missing", "column_missing")
SAMPLE_SIZE = 5  # failed rows kept per rule, shown in the UI
# What makes a part's cached figures, besides its files' stamps: their layout. Another is no cache.
FIGURES_MADE_BY = "lib/ingest/summary.py part figures, version 1"
# How sure the quarantine rate must be over the contract's threshold before the delivery
# counts as unusable: 99.99 % one-sided (the normal quantile). A few bad rows in a small
# delivery can put its share over 5 % by chance; the check then fails as a warning.
UNUSABLE_CONFIDENCE_Z = 3.72


@dataclass
class IngestionSummary:
    contract: FeedContract
    days: list[date] = field(default_factory=list)
    missing_deliveries: list[date] = field(default_factory=list)
    landed: int = 0
    bronze: int = 0
    quarantined: int = 0
    late_rows: int = 0
    rules: Counter = field(default_factory=Counter)  # first rule broken -> rows
    rule_columns: Counter = field(default_factory=Counter)  # (rule, column) -> rows
    schema_changes: list[dict] = field(
        default_factory=list
    )  # per file: missing / renamed / unexpected columns
    notes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(
        default_factory=list
    )  # one line per file that could not be read at all
    samples: dict[str, pl.DataFrame] = field(default_factory=dict)  # rule -> a few failed rows
    sample_size: int = SAMPLE_SIZE  # failed rows to keep per rule (0: figures only)
    preview: pl.DataFrame | None = None

    def add(self, ingested: Ingested) -> None:
        result = ingested.result
        self.add_rows(ingested.day, result.valid.height, result.quarantine)
        self.late_rows += result.late_rows
        if result.columns_missing or result.columns_renamed or result.columns_unexpected:
            self.schema_changes.append(
                {
                    "file": ingested.source.name,
                    "missing": result.columns_missing,
                    "renamed": {f: alias for f, alias in result.columns_renamed.items()},
                    "unexpected": result.columns_unexpected,
                }
            )
        self.notes += [f"{ingested.source.name}: {note}" for note in result.notes]
        if self.preview is None and result.valid.height:
            self.preview = result.valid.head(5)

    def add_rows(self, day: date, bronze: int, quarantine: pl.DataFrame) -> None:
        """One day's rows: `bronze` rows kept, `quarantine` the rows set aside with their rules."""
        # Counted in Python: a day's quarantine is small, and polars' group_by costs more to
        # start than to run (a feed's step adds 120 such days, its checks another 60).
        rules = quarantine["rule"].to_list()
        pairs = Counter(zip(rules, quarantine["column"].to_list(), strict=True))
        self.add_counts(day, bronze, pairs)
        short = self.rules_short_of_samples({rule for rule, _ in pairs})
        if not short:  # the usual case after the first days: nothing more to look at
            return
        # The first rows of each rule still short of samples, in delivered order (found in
        # Python too: a filter over a window costs more than the day's few rows).
        wanted = set(short)
        first: dict[str, list[int]] = {}  # rule -> positions, the rules in order of appearance
        for position, rule in enumerate(rules):
            if rule in wanted and len(taken := first.setdefault(rule, [])) < self.sample_size:
                taken.append(position)
        for rule, positions in first.items():
            rows = quarantine[positions]
            kept = self.samples.get(rule)
            self.samples[rule] = (
                rows if kept is None else pl.concat([kept, rows]).head(self.sample_size)
            )

    def add_counts(
        self, day: date, bronze: int, quarantined: Mapping[tuple[str, str | None], int]
    ) -> None:
        """One day's figures without its rows: `bronze` rows kept, and the rows set aside by
        (rule, column)."""
        self.days.append(day)
        rows = sum(quarantined.values())
        self.landed += bronze + rows  # every landed row is in one of the two
        self.bronze += bronze
        self.quarantined += rows
        for (rule, column), count in quarantined.items():
            self.rules[rule] += count
            self.rule_columns[(rule, column or "")] += count

    def add_lake_figures(self, other: IngestionSummary) -> None:
        """What the lake keeps of another summary's days (rows, rules, samples), after this
        one's days: late rows, schema changes and notes belong to the step that read the files."""
        self.days += other.days
        self.landed += other.landed
        self.bronze += other.bronze
        self.quarantined += other.quarantined
        self.rules.update(other.rules)
        self.rule_columns.update(other.rule_columns)
        for rule in self.rules_short_of_samples(set(other.samples)):
            kept = self.samples.get(rule)
            rows = other.samples[rule]
            self.samples[rule] = (rows if kept is None else pl.concat([kept, rows])).head(
                self.sample_size
            )

    def rules_short_of_samples(self, rules: set[str]) -> list[str]:
        """Which of `rules` (a quarantine's) have fewer failed rows kept than wanted."""
        return sorted(
            rule
            for rule in rules
            if (0 if (kept := self.samples.get(rule)) is None else kept.height) < self.sample_size
        )

    @property
    def quarantine_rate(self) -> float:
        return self.quarantined / self.landed if self.landed else 0.0

    def quarantine_rate_surely_over(self, threshold: float) -> bool:
        """Whether even the lowest rate these rows allow is over `threshold`: the lower bound
        of the Wilson score interval, one-sided at UNUSABLE_CONFIDENCE_Z."""
        return wilson_lower_bound(self.quarantined, self.landed, UNUSABLE_CONFIDENCE_Z) > threshold

    def count(self, rules: tuple[str, ...]) -> int:
        return sum(self.rules[r] for r in rules)

    def sample_failures(self, rules: tuple[str, ...] | None = None) -> pl.DataFrame | None:
        chosen = [
            frame for rule, frame in sorted(self.samples.items()) if rules is None or rule in rules
        ]
        return pl.concat(chosen) if chosen else None


def lake_days(data: DataDir, contract: FeedContract) -> list[date]:
    """The delivery days the lake holds a partition of the feed for."""
    feed = data.bronze_feed(contract.department, contract.feed)
    if not feed.exists():
        return []
    return sorted(
        date.fromisoformat(p.name.removeprefix("date="))
        for p in feed.iterdir()
        if p.name.startswith("date=") and has_parts(p)
    )


def lake_summary(
    data: DataDir,
    contract: FeedContract,
    days: list[date],
    written: Mapping[date, IngestionSummary] | None = None,
    cache: Path | None = None,
) -> IngestionSummary:
    """The figures the lake holds for `days` of the feed (bronze rows, quarantined rows and their
    rules); a day without a partition adds nothing. Late rows, schema changes and notes are
    not kept in the lake: they belong to the step that read the files.

    `written`: the figures of days whose partition a step has just written whole, taken as they
    are rather than read back (a full ingestion of `large` read 2,520 parts back otherwise).
    `cache`: a file keeping each part's figures (see the module's doc).
    """
    summary = IngestionSummary(contract)
    figures = PartFigures(read_cache(cache, FIGURES_MADE_BY))
    for day in days:
        where = partition(data, contract, day)
        if written is not None and day in written:
            summary.add_lake_figures(written[day])
            if cache is not None:  # so that the next step need not read it back either
                figures.keep_written(where.bronze, where.quarantine, written[day])
            continue
        if where.bronze.exists() and where.quarantine.exists():
            _add_part(summary, day, where.bronze, where.quarantine, figures)
        # A sub-daily feed's windows not yet compacted into the day's file.
        windows: list[Location] = list(where.bronze.parent.glob("window-*.parquet"))
        for bronze in sorted(windows, key=lambda part: part.name):
            quarantine = where.quarantine.parent / bronze.name
            if window_of_part(bronze.name) is not None and quarantine.exists():
                _add_part(summary, day, bronze, quarantine, figures)
    if cache is not None and figures.now != figures.known:
        # This run's parts only: a part gone from the lake leaves the cache.
        write_cache(cache, FIGURES_MADE_BY, figures.now)
    return summary


@dataclass
class PartFigures:
    """Each part's figures (its bronze rows, its quarantined rows by rule and column): those a
    cache kept (`known`, part -> entry) and those of the parts read or found this run (`now`),
    which the next run keeps."""

    known: dict[str, Any] = field(default_factory=dict)
    now: dict[str, Any] = field(default_factory=dict)

    def keep(
        self,
        name: str,
        stamp: list[list[int]],
        rows: int,
        counts: Mapping[tuple[str, str | None], int],
    ) -> None:
        """A part's figures: `rows` in bronze, `counts` of its quarantined rows by (rule, column)."""
        self.now[name] = {
            "stamp": stamp,
            "bronze": rows,
            "quarantined": [[rule, column or None, n] for (rule, column), n in counts.items()],
        }

    def keep_written(self, bronze: Location, quarantine: Location, day: IngestionSummary) -> None:
        """The figures of a part a step has just written, as its summary of the day says."""
        try:
            stamp = _stamp(bronze, quarantine)
        except FileNotFoundError:  # nothing written for the day
            return
        self.keep(_part_name(bronze), stamp, day.bronze, day.rule_columns)


def _part_name(bronze: Location) -> str:
    return f"{bronze.parent.name}/{bronze.name}"


def _stamp(bronze: Location, quarantine: Location) -> list[list[int]]:
    return [file_stamp(bronze), file_stamp(quarantine)]


def _add_part(
    summary: IngestionSummary,
    day: date,
    bronze: Location,
    quarantine: Location,
    figures: PartFigures,
) -> None:
    """One part's figures: kept in the cache, or its quarantine's rules and columns read; its
    whole rows only when a rule in it still wants samples (the delivered originals are most of a
    quarantine file)."""
    name = _part_name(bronze)
    entry = figures.known.get(name)
    stamp = _stamp(bronze, quarantine)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        try:
            bronze_rows = int(entry["bronze"])
            counts = {(rule, column): int(count) for rule, column, count in entry["quarantined"]}
        except (KeyError, TypeError, ValueError):  # a damaged entry: the part is read
            counts = None
        if counts is not None and not summary.rules_short_of_samples({r for r, _ in counts}):
            summary.add_counts(day, bronze_rows, counts)
            figures.now[name] = entry
            return
    judged = read_parquet(quarantine, columns=["rule", "column"])
    if summary.rules_short_of_samples(set(judged["rule"].to_list())):
        judged = read_parquet(quarantine)
    rows = parquet_rows(bronze)
    summary.add_rows(day, rows, judged)
    counts = Counter(zip(judged["rule"].to_list(), judged["column"].to_list(), strict=True))
    figures.keep(name, stamp, rows, counts)


def parquet_rows(path: Location) -> int:
    """Rows of a Parquet file, from its footer: no column is read."""
    import pyarrow.parquet as pq

    if not is_remote(path):
        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as handle:
        return pq.ParquetFile(handle).metadata.num_rows


def wilson_lower_bound(hits: int, trials: int, z: float) -> float:
    """The lowest share `hits / trials` is likely to come from, at `z` standard deviations: the
    Wilson score interval, sound for small counts and for shares of 0 and 1."""
    if trials == 0:
        return 0.0
    share = hits / trials
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (share + z * z / (2 * trials) - spread) / (1 + z * z / trials)

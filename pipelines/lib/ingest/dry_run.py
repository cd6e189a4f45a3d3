"""A dry run of ingestion: one file held to one contract by the real enforcement code, nothing written.

What `safecity contract try` shows before a feed goes live: how many rows would reach
bronze and quarantine, by rule and column, a few quarantined rows per rule (personal and
sensitive values masked), the columns the file lacks, renames and extras, and bronze's
schema. It reads the file and nothing else: no lake, no landing inventory, so a key
repeated from an earlier delivery in bronze is not caught here (one within the file is).
DuckDB is pointed at a temporary folder for anything it might spill, and the CSV reader's
transcoding copy is a temporary file: neither the data directory nor the working
directory is touched.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.lib.city_profile import CityProfile, city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.duckdb_connection import connect, sql_string
from pipelines.lib.ingest.enforce import Delivery, Enforced, enforce_batch
from pipelines.lib.ingest.identity_hash import with_identity_hashes
from pipelines.lib.ingest.read import SOURCE_ROW, RawDelivery, read_delivery

MASKED = frozenset({"personal", "sensitive"})  # classifications whose values are never shown
MASK = "***"
SAMPLES_PER_RULE = 3
SAMPLE_WIDTH = 240  # characters of one sample row shown


@dataclass
class DryRun:
    contract: FeedContract
    path: Path
    day: date
    result: Enforced
    notes: list[str] = field(default_factory=list)

    @property
    def landed(self) -> int:
        return self.result.landed

    @property
    def to_bronze(self) -> int:
        return self.result.valid.height

    @property
    def quarantined(self) -> int:
        return self.result.quarantine.height

    @property
    def all_valid(self) -> bool:
        return self.quarantined == 0

    def by_rule(self) -> pl.DataFrame:
        """rule, column, rows: most rows first."""
        return (
            self.result.quarantine.group_by("rule", "column")
            .len("rows")
            .sort(["rows", "rule", "column"], descending=[True, False, False], nulls_last=True)
        )

    def samples(self, rule: str, column: str | None, count: int = SAMPLES_PER_RULE) -> list[str]:
        """The first quarantined rows of a rule and column: the values that broke it, then the row.

        Delivered values as delivered, personal and sensitive ones masked.
        """
        chosen = self.result.quarantine.filter(
            (pl.col("rule") == rule)
            & (pl.col("column").is_null() if column is None else pl.col("column") == column)
        ).head(count)
        hidden = masked_sources(self.contract)
        focus = delivered_columns(self.contract, column)
        lines = []
        for row, original in chosen.select(SOURCE_ROW, "original").iter_rows():
            shown = _shown(original, hidden, focus)
            if len(shown) > SAMPLE_WIDTH:
                shown = shown[: SAMPLE_WIDTH - 1] + "…"
            lines.append(f"row {row}: {shown}")
        return lines


def dry_run(
    contract: FeedContract,
    path: Path,
    day: date | None = None,
    raw: RawDelivery | None = None,
    city: CityProfile | None = None,
) -> DryRun:
    """Hold `path` to `contract` as ingestion would for delivery `day` (default: from the file name).

    `raw`: the file already read as the contract reads it (the draft has), not read again.
    `city`: whose extent and time zone apply (default: the profile of the data directory the
    file was delivered into, else the configured one).
    """
    notes = []
    named_day = contract.landing.day_of(path.name)
    if named_day is None:
        notes.append(
            f"the file name does not match the contract's pattern {contract.landing.file!r}: "
            "delivered under this name, the landing inventory would list it as unknown"
        )
    if day is None:
        day = named_day or date.today()
        how = "from the file name" if named_day else "today: no day in the file name; give --day"
    else:
        how = "as given"
    notes.insert(0, f"delivery day {day}, {how}")
    if raw is None:
        with tempfile.TemporaryDirectory(prefix="safecity-dry-run-") as spill:
            connection = connect()
            try:
                connection.execute(f"SET temp_directory = {sql_string(spill)}")
                raw = read_delivery(path, contract, connection)
            finally:
                connection.close()
    city = city if city is not None else city_profile(data_dir_of(path))
    (result,) = enforce_batch(contract, [Delivery(raw, day, path.name)], city=city)
    return DryRun(contract, path, day, result, notes)


def data_dir_of(path: Path) -> Path | None:
    """The data directory of a file delivered to `<data dir>/landing/<department>/<feed>/`."""
    parents = path.absolute().parents
    return parents[3] if len(parents) > 3 and parents[2].name == "landing" else None


def masked_sources(contract: FeedContract) -> dict[str, Any]:
    """The delivered names whose values are hidden: a top-level column, or item paths in an array.

    A top-level name maps to True (hide its value); an array's name maps to the set of dotted
    item paths to hide inside each of its items.
    """
    hidden: dict[str, Any] = {}
    for f in contract.fields:
        if f.classification in MASKED:
            for column in f.source_columns:
                hidden[column] = True
        paths = {sub.source or sub.name for sub in f.items if sub.classification in MASKED}
        if paths:
            for column in f.source_columns:
                hidden.setdefault(column, paths)
    point = contract.coordinates.point if contract.coordinates else None
    if point is not None and any(
        contract.field(name).classification in MASKED
        for name in (contract.coordinates.longitude, contract.coordinates.latitude)  # type: ignore[union-attr]
    ):
        hidden[point.source] = True
    return hidden


def delivered_columns(contract: FeedContract, column: str | None) -> list[str]:
    """The delivered columns behind a quarantine row's `column` (fields, `a,b`, `field (part)`, `array.item`)."""
    if not column:
        return []
    label = column.split(" (", 1)
    if len(label) == 2:  # a derived field names its delivered columns in brackets
        # (a JSON value of the wrong type, its path: `vehicles[].driver` is in `vehicles`)
        return [c.strip().split("[]")[0] for c in label[1].rstrip(")").split(",")]
    found: list[str] = []
    for name in column.split(","):
        field_name = name.split(".", 1)[0]
        try:
            f = contract.field(field_name)
        except KeyError:
            continue
        point = contract.coordinates.point if contract.coordinates else None
        if point is not None and not f.source_columns:
            found.append(point.source)
        found += [c for c in f.source_columns if c not in found]
    return found


def _shown(original: str | None, hidden: dict[str, Any], focus: list[str]) -> str:
    """`column=value` for the columns that broke the rule, then the whole row (masked)."""
    if original is None:
        return "(nothing delivered)"
    try:
        values = json.loads(original)
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict):
        # The reader's raw line (a malformed row): its columns are unknown, so all or nothing.
        if hidden:
            return (
                f"(a raw line of {len(original)} characters, withheld: the feed has personal data)"
            )
        return original
    _mask(values, hidden)
    broken = [f"{c}={json.dumps(values.get(c), ensure_ascii=False)}" for c in focus if c in values]
    row = json.dumps(values, ensure_ascii=False)
    return f"{'; '.join(broken)} in {row}" if broken else row


def _mask(values: dict[str, Any], hidden: dict[str, Any]) -> None:
    for column, what in hidden.items():
        if column not in values or values[column] is None:
            continue
        # A value of the wrong JSON type where personal items are contracted (a driver's
        # name where an object is due, a text for the list) is hidden whole.
        if what is True or not isinstance(values[column], list):
            values[column] = MASK
            continue
        items = values[column]
        for i, item in enumerate(items):
            if isinstance(item, dict):
                for dotted in what:
                    _mask_path(item, dotted.split("."))
            elif item is not None:
                items[i] = MASK


def _mask_path(item: dict[str, Any], path: list[str]) -> None:
    for part in path[:-1]:
        if item.get(part) is None:
            return
        if not isinstance(item[part], dict):
            item[part] = MASK
            return
        item = item[part]
    if item.get(path[-1]) is not None:
        item[path[-1]] = MASK


def report(run: DryRun) -> list[str]:
    """What `safecity contract try` prints."""
    contract, result = run.contract, run.result
    lines = [f"{run.path.name} held to {contract.department}/{contract.feed}: {run.notes[0]}"]
    lines += run.notes[1:]
    if result.notes:
        lines += [f"reading: {note}" for note in result.notes]
    if result.columns_missing:
        lines.append(f"columns missing: {', '.join(result.columns_missing)}")
    if result.columns_renamed:
        renamed = ", ".join(
            f"{alias} (for {name})" for name, alias in result.columns_renamed.items()
        )
        lines.append(f"columns under another known name: {renamed}")
    if result.columns_unexpected:
        lines.append(f"columns no property reads: {', '.join(result.columns_unexpected)}")
    rate = run.quarantined / run.landed if run.landed else 0.0
    lines.append(
        f"rows: {run.landed:,} delivered, {run.to_bronze:,} to bronze, {run.quarantined:,} to "
        f"quarantine ({rate:.1%}; the contract's threshold is {contract.quarantine_threshold:.0%})"
    )
    if run.quarantined:
        lines.append("quarantine by rule and column:")
        for rule, column, rows in run.by_rule().iter_rows():
            lines.append(f"  {rule:<24} {column or '(row)':<32} {rows:>8,}")
            lines += [f"      {sample}" for sample in run.samples(rule, column)]
    bronze = contract.department + "/" + contract.feed
    lines.append(f"bronze schema (lake/bronze/{bronze}/date={run.day}/):")
    # With the identity numbers' hash columns, which ingestion adds (and a dry run needs no key for).
    schema = with_identity_hashes(contract, result.valid.clear(), None).schema
    width = max(len(name) for name in schema)
    for name, dtype in schema.items():
        lines.append(f"  {name:<{width}}  {dtype}")
    lines.append("nothing was written: this was a dry run")
    return lines

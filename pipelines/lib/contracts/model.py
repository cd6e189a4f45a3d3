"""A feed contract compiled from ODCS YAML: what ingestion, dbt and publishing read.

The YAML is the source of truth (DESIGN.md, "Contracts"); these frozen objects
are its checked, typed form, so no consumer ever walks raw YAML or re-applies
defaults of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

DAY_PLACEHOLDER = "{yyyymmdd}"
DEFAULT_QUARANTINE_THRESHOLD = 0.05


@dataclass(frozen=True)
class Field:
    """One column of a feed (or one property of an array's items)."""

    name: str  # common vocabulary name (bronze column)
    logical_type: str  # string, integer, number, date, timestamp, boolean, array
    physical_type: str  # e.g. VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMPTZ
    required: bool
    unique: bool
    primary_key_position: int | None
    classification: str  # public, internal, personal, sensitive
    description: str | None
    business_name: str | None
    source: str | None  # the department's column / JSON key; a dotted path inside array items
    source_aliases: tuple[str, ...]
    source_formats: tuple[str, ...]  # strptime formats, or ("epoch_ms",)
    pattern: str | None
    min_length: int | None
    max_length: int | None
    minimum: float | None
    maximum: float | None
    enum: tuple[str, ...]  # enum values as strings
    standard: str | None  # identity_number, uscc, admin_county, admin_township
    not_after_delivery: bool
    timezone: (
        str | None
    )  # timestamps only: the zone of times delivered without an offset; None: the city's
    items: tuple[Field, ...]  # properties of array items (empty otherwise)
    line: int  # where it is defined, for messages


@dataclass(frozen=True)
class Landing:
    """How the department delivers the feed into `landing/<department>/<feed>/`."""

    format: str  # csv, jsonl, xlsx
    encoding: str  # meaningful for csv only; utf-8 otherwise
    file: str  # file name pattern with one {yyyymmdd}

    def _regex(self) -> re.Pattern[str]:
        before, _, after = self.file.partition(DAY_PLACEHOLDER)
        return re.compile(re.escape(before) + r"(\d{8})" + re.escape(after))

    def day_of(self, filename: str) -> date | None:
        """The delivery day a file name stands for, or None when it is not this feed's file."""
        match = self._regex().fullmatch(filename)
        if match is None:
            return None
        try:
            return datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:  # eight digits that are no calendar day, e.g. 20240231
            return None

    def filename(self, day: date) -> str:
        return self.file.replace(DAY_PLACEHOLDER, day.strftime("%Y%m%d"))


@dataclass(frozen=True)
class Coordinates:
    """Which properties hold the position, and in which datum they arrive."""

    system: str  # WGS84, GCJ02, BD09
    longitude: str  # field name
    latitude: str  # field name


@dataclass(frozen=True)
class Sla:
    frequency_days: float
    latency_days: float
    latency_element: str | None  # the field whose value latency is measured from


@dataclass(frozen=True)
class FeedContract:
    path: Path
    id: str
    version: str
    department: str
    feed: str
    owner: str  # username of the owner team member
    description: str | None  # description.purpose
    landing: Landing
    coordinates: Coordinates | None
    sla: Sla
    quarantine_threshold: float
    fields: tuple[Field, ...]

    @property
    def key(self) -> tuple[str, ...]:
        """Primary-key field names in key order."""
        keyed = [f for f in self.fields if f.primary_key_position is not None]
        return tuple(f.name for f in sorted(keyed, key=lambda f: f.primary_key_position or 0))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.department}/{self.feed} has no field {name!r}")

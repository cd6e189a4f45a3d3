"""A feed contract compiled from ODCS YAML: what ingestion, dbt and publishing read.

The YAML is the source of truth (docs/architecture.md, "Contracts, enforced three times"); these frozen objects
are its checked, typed form, so no consumer ever walks raw YAML or re-applies
defaults of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipelines.lib.contracts.vocabulary import SNAKE_CASE

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
    # Delivered values meaning "no value": the property's own and the contract's together.
    missing_values: tuple[str, ...] = ()
    unit: str | None = None  # the unit bronze stores (pipelines/lib/standards/units.py)
    source_unit: str | None = None  # the unit the department delivers, converted to `unit`
    derived: Derivation | None = None  # built from several delivered columns instead of `source`

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every delivered column (or JSON key) this field is read from, by any name."""
        if self.derived is not None:
            return self.derived.columns
        return tuple(c for c in (self.source, *self.source_aliases) if c)


@dataclass(frozen=True)
class Derivation:
    """A date or timestamp built from several delivered columns (`derivedFrom`).

    `date` + `time`: the two texts joined by one space, read with the field's sourceFormats.
    `year`, `month`, `day` (and `hour`, `minute`, `second`): whole numbers, one per column.
    """

    parts: tuple[tuple[str, str], ...]  # (part, delivered column), in calendar order

    @property
    def kind(self) -> str:
        return "date_time" if self.parts[0][0] == "date" else "calendar"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column for _, column in self.parts)


@dataclass(frozen=True)
class Landing:
    """How the department delivers the feed into `landing/<department>/<feed>/`."""

    format: str  # csv, jsonl, xlsx
    encoding: str  # meaningful for csv only; utf-8 otherwise
    file: str  # file name pattern with one {yyyymmdd}
    delimiter: str = ","  # csv only: the field separator

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
class PointSource:
    """One delivered column holding both coordinates, e.g. "(30.66, 104.06)" or WKT POINT."""

    source: str  # the department's column or JSON key
    format: str  # "lat,lon", "lon,lat" or "wkt"


@dataclass(frozen=True)
class Coordinates:
    """Which properties hold the position, and in which datum they arrive."""

    system: str  # WGS84, GCJ02, BD09
    longitude: str  # field name
    latitude: str  # field name
    point: PointSource | None = None  # both read from one delivered column instead of two


@dataclass(frozen=True)
class CrossColumnRule:
    """`column <check> other` (e.g. arrived_at notBefore dispatched_at); its name is the quarantine reason."""

    name: str
    column: str  # field name
    check: str  # notBefore, notAfter, after, before, atLeast, atMost, greaterThan, lessThan, requiredWhen
    other: str  # field name
    line: int


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
    missing_values: tuple[str, ...] = ()  # the contract-wide markers (already in each field's)
    rules: tuple[CrossColumnRule, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        """Primary-key field names in key order."""
        keyed = [f for f in self.fields if f.primary_key_position is not None]
        return tuple(f.name for f in sorted(keyed, key=lambda f: f.primary_key_position or 0))

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every delivered column (or JSON key) the contract reads, by any name."""
        point = self.coordinates.point if self.coordinates is not None else None
        names = [c for f in self.fields for c in f.source_columns]
        return tuple(dict.fromkeys([*names, *([point.source] if point else [])]))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.department}/{self.feed} has no field {name!r}")


@dataclass(frozen=True)
class InvalidContract:
    """A feed contract file that did not load: its feed is not defined until it is fixed."""

    path: str  # as messages name it, e.g. contracts/feeds/fire_rescue/fire_incidents.odcs.yaml
    department: str
    feed: str
    messages: tuple[str, ...]  # every problem, `file:line: key.path: message`


class FeedContracts(Mapping[tuple[str, str], FeedContract]):
    """The valid feed contracts by (department, feed), and the files that were not valid.

    A bad contract is its own feed's problem: the others are served as usual, and the
    invalid ones are reported (the landing inventory's `contracts_valid` check).
    """

    def __init__(
        self, valid: Mapping[tuple[str, str], FeedContract], invalid: Iterable[InvalidContract]
    ) -> None:
        self._valid = dict(valid)
        self.invalid = tuple(invalid)

    def __getitem__(self, key: tuple[str, str]) -> FeedContract:
        return self._valid[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._valid)

    def __len__(self) -> int:
        return len(self._valid)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(message for invalid in self.invalid for message in invalid.messages)

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department with a contract file, valid or not, whose folder name is a safe
        name (one that is not is reported as its contracts' problem and serves nothing)."""
        names = {department for department, _ in self} | {c.department for c in self.invalid}
        return tuple(sorted(name for name in names if SNAKE_CASE.fullmatch(name)))

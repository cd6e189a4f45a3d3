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
# A window file's name also carries the window's start, hours and minutes of the city's day.
WINDOW_PLACEHOLDER = "{hhmm}"
MINUTES_PER_DAY = 24 * 60
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
    # Numbers: bounds the value may not reach (ODCS exclusiveMinimum / exclusiveMaximum), e.g. a
    # divisor's exclusiveMinimum 0; and whether NaN and the infinities are values (allowNonFinite).
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    allow_non_finite: bool = False
    # JSON lines strings: an object or a list delivered here is kept as its JSON text (jsonText);
    # without it such a value is type_invalid.
    json_text: bool = False
    # Dates and timestamps: the earliest plausible day (ODCS `minimum`, a day 'YYYY-MM-DD'); a
    # timestamp's day is taken in its zone.
    earliest: date | None = None

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
    """How the department delivers the feed into `landing/<department>/<feed>/`.

    A feed delivered more often than daily (its SLA `frequency` under a day) also names
    `window_file`: one file per time window, `{yyyymmdd}` and `{hhmm}` its start in the city's
    time. Its whole-day file (`file`) is still a delivery of the day: a resend of the day in one
    piece, which then stands for the day instead of its windows.
    """

    format: str  # csv, jsonl, xlsx
    encoding: str  # meaningful for csv only; utf-8 otherwise
    file: str  # file name pattern with one {yyyymmdd}
    delimiter: str = ","  # csv only: the field separator
    sheet: str | None = None  # xlsx only: the worksheet read (None: the first one holding data)
    header_row: int | None = (
        None  # xlsx only: the row of column names, as the spreadsheet numbers it
    )
    window_file: str | None = None  # pattern with one {yyyymmdd} and one {hhmm}
    window_minutes: int | None = None  # the delivery cadence: a divisor of a day, in minutes

    def _regex(self) -> re.Pattern[str]:
        before, _, after = self.file.partition(DAY_PLACEHOLDER)
        return re.compile(re.escape(before) + r"(\d{8})" + re.escape(after))

    def _window_regex(self) -> re.Pattern[str] | None:
        if self.window_file is None:
            return None
        pattern = re.escape(self.window_file)
        pattern = pattern.replace(re.escape(DAY_PLACEHOLDER), r"(?P<day>\d{8})")
        pattern = pattern.replace(re.escape(WINDOW_PLACEHOLDER), r"(?P<hhmm>\d{4})")
        return re.compile(pattern)

    @property
    def windowed(self) -> bool:
        return self.window_file is not None and self.window_minutes is not None

    def day_of(self, filename: str) -> date | None:
        """The delivery day a file name stands for (its whole-day file or one of its window
        files), or None when it is not this feed's file."""
        match = self._regex().fullmatch(filename)
        if match is not None:
            return _calendar_day(match.group(1))
        window = self.window_of(filename)
        return window[0] if window is not None else None

    def window_of(self, filename: str) -> tuple[date, int] | None:
        """(day, minute of the day the window starts at) for a window file, else None: a name
        whose time is no window start of the cadence (00:03 of a 5-minute feed) is none."""
        regex = self._window_regex()
        match = regex.fullmatch(filename) if regex is not None else None
        if match is None or self.window_minutes is None:
            return None
        day = _calendar_day(match.group("day"))
        hours, minutes = int(match.group("hhmm")[:2]), int(match.group("hhmm")[2:])
        if day is None or hours > 23 or minutes > 59:
            return None
        minute = hours * 60 + minutes
        return (day, minute) if minute % self.window_minutes == 0 else None

    def filename(self, day: date) -> str:
        return self.file.replace(DAY_PLACEHOLDER, day.strftime("%Y%m%d"))

    def window_filename(self, day: date, minute: int) -> str:
        assert self.window_file is not None, "a daily feed has no window files"
        return self.window_file.replace(DAY_PLACEHOLDER, day.strftime("%Y%m%d")).replace(
            WINDOW_PLACEHOLDER, f"{minute // 60:02d}{minute % 60:02d}"
        )


def _calendar_day(digits: str) -> date | None:
    try:
        return datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:  # eight digits that are no calendar day, e.g. 20240231
        return None


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
    # How far from the place a delivered point may be (a caller's phone, placed by the call
    # centre's map): such a point locates a record, but the address identifies its place.
    accuracy_m: float | None = None


@dataclass(frozen=True)
class CrossColumnRule:
    """`column <check> other` (e.g. arrived_at notBefore dispatched_at); its name is the quarantine reason."""

    name: str
    column: str  # field name
    check: str  # notBefore, notAfter, after, before, atLeast, atMost, greaterThan, lessThan, requiredWhen
    other: str  # field name
    line: int


@dataclass(frozen=True)
class ColumnValue:
    """A property's value as it is (inside `each`, a property of the array's items)."""

    column: str


@dataclass(frozen=True)
class ConstantValue:
    """The same text for every record, e.g. an organisation type the feed implies."""

    value: str


@dataclass(frozen=True)
class FirstOf:
    """The first of several values that is not null (SQL coalesce)."""

    values: tuple[MappedValue, ...]


@dataclass(frozen=True)
class Prefix:
    """The first `length` characters of a text property, e.g. the credit code in a permit number."""

    column: str
    length: int


@dataclass(frozen=True)
class TemplateSlot:
    column: str
    optional: bool  # `{b?}`: empty when null; `{a}`: null makes the whole text null


@dataclass(frozen=True)
class Template:
    """Text made of literal pieces and property values, e.g. '{hazard_level}: {description?}'."""

    text: str  # as written, for messages
    pieces: tuple[str | TemplateSlot, ...]  # in order


@dataclass(frozen=True)
class Sum:
    """Numbers added up, a null counting as 0 (injuries = serious + minor)."""

    columns: tuple[str, ...]


MappedValue = ColumnValue | ConstantValue | FirstOf | Prefix | Template | Sum


@dataclass(frozen=True)
class Condition:
    """`column equals v`, `column in [v, ...]` or `column present` (not null)."""

    column: str
    test: str  # equals, in, present
    values: tuple[str, ...]  # equals: one; in: one or more; present: none


@dataclass(frozen=True)
class CasualtyGrade:
    """The national grading by casualties (I-IV), from deaths and serious injuries."""

    deaths: str
    serious_injuries: str | None


@dataclass(frozen=True)
class Split:
    """Several names in one cell, e.g. 'Station 1;Station 3': one mention per part."""

    column: str
    separator: str


@dataclass(frozen=True)
class Mention:
    """An entity a record mentions: an organisation, person, place or object in a role."""

    kind: str  # organisation, person, place, object
    role: str  # snake_case, free per feed (licensee, driver, accident_site...)
    attributes: tuple[tuple[str, MappedValue], ...]  # (name, value, address, code...) as given
    identifiers: tuple[tuple[str, MappedValue], ...]  # organisations: uscc, licence_no, permit_no
    point: tuple[str, str] | None  # places: (longitude, latitude) properties
    object_kind: str | None  # objects: a kind of the shared vocabulary
    each: str | None  # an array property: one mention per item, slot = its position (1-based)
    split: Split | None  # one mention per part of a cell; each part is the name
    responder: bool  # organisations: the responding unit, never the event's subject
    register: bool  # organisations: the register of record, preferred over other mentions
    line: int

    def attribute(self, name: str) -> MappedValue | None:
        return dict(self.attributes).get(name)


@dataclass(frozen=True)
class EventTypeMap:
    """An event type per value of an enum property (every value has one)."""

    column: str
    types: tuple[tuple[str, str], ...]  # (property value, event type)


@dataclass(frozen=True)
class EventTypeClassified:
    """An event type read from free text: the vocabulary type whose keywords the property's
    text contains most, else `otherwise` (e.g. a citizen's report nobody can place in a type)."""

    column: str
    types: tuple[str, ...]  # the vocabulary's types with keywords, then `otherwise`
    otherwise: str


@dataclass(frozen=True)
class EventMapping:
    """A record as an event of fct_event (one per record at most: its key is the record's)."""

    type: str | EventTypeMap | EventTypeClassified
    when: Condition | None  # only records meeting it are events; None: every record
    time: str  # a required date or timestamp property
    severity: CasualtyGrade | None
    deaths: ColumnValue | Sum | None
    injuries: ColumnValue | Sum | None
    place: str | None  # the role of a place mention
    county: str | None  # a property with `standard: admin_county`
    description: MappedValue | None
    due: str | None  # a date or timestamp property: the deadline of a rectifiable finding
    resolved: str | None  # a date or timestamp property
    major: Condition | None  # a major (重大) finding
    line: int

    @property
    def event_types(self) -> tuple[str, ...]:
        return event_types_of(self.type)


def event_types_of(event_type: str | EventTypeMap | EventTypeClassified) -> tuple[str, ...]:
    """The event types a mapping's `type` can give, each once, in order."""
    if isinstance(event_type, str):
        return (event_type,)
    if isinstance(event_type, EventTypeClassified):
        return event_type.types
    return tuple(dict.fromkeys(t for _, t in event_type.types))


@dataclass(frozen=True)
class Relation:
    """Two mentions of one record related, e.g. a person represents an organisation."""

    type: str  # represents, premises, site, owns, locatedAt
    from_role: str  # the role of the first end's mention (kinds: vocabulary.RELATION_ENDS)
    to_role: str
    line: int


@dataclass(frozen=True)
class LatestRecords:
    """Readings collapsed to the latest per entity before they are mapped (e.g. detectors)."""

    latest_per: tuple[str, ...]  # the key, or a prefix of it
    order_by: str  # a date or timestamp property


@dataclass(frozen=True)
class DerivedEvents:
    """Events a hand-written dbt model computes from the feed (e.g. air-quality episodes)."""

    model: str  # int_... model name
    types: tuple[str, ...]  # event types of the shared vocabulary
    line: int


@dataclass(frozen=True)
class FeedMapping:
    """What a feed's records mean in the shared model (`mapping` custom property)."""

    mentions: tuple[Mention, ...]
    relations: tuple[Relation, ...]
    event: EventMapping | None
    records: LatestRecords | None
    derived_events: tuple[DerivedEvents, ...]

    def mention(self, kind: str, role: str) -> Mention | None:
        for mention in self.mentions:
            if mention.kind == kind and mention.role == role:
                return mention
        return None


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
    mapping: FeedMapping | None = None  # None: the feed stays in bronze (not in the warehouse)

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

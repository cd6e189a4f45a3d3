"""What each department has delivered to the landing zone, and what is missing.

Pure functions over the file tree, free of Dagster, so they can be tested on a
tree built in a temporary directory. A delivery is a file whose folder and name
match a feed contract (`landing/<department>/<feed>/` and the contract's file
pattern); anything else is an unknown file, which is reported rather than
skipped (docs/architecture.md, row accounting).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.lib.atomic import atomic_output, write_text_atomic
from pipelines.lib.landing.deliveries import Contracts, match_delivery
from pipelines.lib.landing.files import file_size, refusal, refused_folder, shown_name, undecodable
from pipelines.lib.landing.window import DeliveryWindow

if TYPE_CHECKING:
    from polars._typing import SchemaDict

_OUTSIDE_FEED_FOLDER = "not inside a <department>/<feed>/ folder"

INVENTORY_PARQUET = "landing_inventory.parquet"
INVENTORY_JSON = "landing_inventory.json"


class NoLandingDataError(Exception):
    """The landing folder is missing or holds no delivery: there is nothing to run on."""

    def __init__(self, landing: Path, detail: str) -> None:
        super().__init__(f"No landing data in {landing} ({detail}): run `safecity generate` first.")


@dataclass(frozen=True)
class UnknownFile:
    """A file that is no delivery (unknown), or that landing refuses to read (refused)."""

    path: str  # relative to the landing folder, with "/" separators, as shown_name shows it
    bytes: int
    reason: str


@dataclass(frozen=True)
class OutsideWindow:
    """A delivery named for a day outside the delivery window: reported, never ingested."""

    path: str  # relative to the landing folder, with "/" separators
    day: date
    reason: str


@dataclass(frozen=True)
class FeedInventory:
    department: str
    feed: str
    files: int
    bytes: int
    first_day: date | None
    last_day: date | None
    days_delivered: int
    missing_days: tuple[date, ...]
    formats: tuple[str, ...]
    unknown_files: int
    files_outside_window: int = 0  # not counted in files, bytes or days above
    refused_files: int = 0  # never read, not counted above either


@dataclass(frozen=True)
class LandingInventory:
    landing: Path
    feeds: tuple[FeedInventory, ...]
    unknown_files: tuple[UnknownFile, ...]
    outside_window: tuple[OutsideWindow, ...] = ()
    window: DeliveryWindow | None = None  # None: every day a name can stand for is accepted
    refused_files: tuple[UnknownFile, ...] = ()  # links, pipes, folders, names not UTF-8

    @property
    def total_files(self) -> int:
        return sum(feed.files for feed in self.feeds)

    @property
    def total_bytes(self) -> int:
        return sum(feed.bytes for feed in self.feeds)

    @property
    def total_missing_days(self) -> int:
        return sum(len(feed.missing_days) for feed in self.feeds)


@dataclass(frozen=True)
class _Delivery:
    day: date
    ext: str
    bytes: int


def scan_landing(
    landing: Path, contracts: Contracts, window: DeliveryWindow | None = None
) -> LandingInventory:
    """Inventory every feed folder under `landing`; deliveries named for a day outside
    `window` are listed apart (`outside_window`) and counted nowhere else, and so is anything
    landing refuses to read (`refused_files`: links, pipes, folders where a file is expected,
    names that are not UTF-8; pipelines/lib/landing/files.py). Nothing is opened: a file is
    only looked at (`lstat`), never through a link.

    Raises NoLandingDataError when the folder is missing or holds no delivery,
    so that a run on an empty data directory stops with one clear sentence.
    """
    if not landing.is_dir():
        raise NoLandingDataError(landing, "folder does not exist")

    feeds: list[FeedInventory] = []
    unknown: list[UnknownFile] = []
    refused: list[UnknownFile] = []
    outside: list[OutsideWindow] = []
    for department_dir in _sorted_entries(landing):
        if not _is_folder(landing, department_dir, unknown, refused):
            continue
        for feed_dir in _sorted_entries(department_dir):
            if not _is_folder(landing, feed_dir, unknown, refused):
                continue
            feed, feed_unknown, feed_refused, feed_outside = _scan_feed(
                landing, department_dir.name, feed_dir, contracts, window
            )
            feeds.append(feed)
            unknown.extend(feed_unknown)
            refused.extend(feed_refused)
            outside.extend(feed_outside)

    inventory = LandingInventory(
        landing=landing,
        feeds=tuple(feeds),
        unknown_files=tuple(unknown),
        outside_window=tuple(outside),
        window=window,
        refused_files=tuple(refused),
    )
    if inventory.total_files + len(outside) + len(refused) == 0:
        detail = "no delivery files"
        if unknown:
            detail += f", only {len(unknown)} unknown file(s) such as {unknown[0].path}"
        raise NoLandingDataError(landing, detail)
    return inventory


def _is_folder(
    landing: Path, path: Path, unknown: list[UnknownFile], refused: list[UnknownFile]
) -> bool:
    """Whether `path`, where a department's or a feed's folder belongs, is one to look into;
    if not, it is listed where it belongs (a stray file is unknown, a link is refused)."""
    reason = refused_folder(path)
    if reason is None:
        return True
    file_reason = refusal(path)
    if file_reason is None:  # a regular file with a readable name, one folder too high
        unknown.append(_unknown(landing, path, _OUTSIDE_FEED_FOLDER))
    else:  # a folder's reason for a real folder, a file's for anything else
        real_folder = path.is_dir() and not path.is_symlink()
        refused.append(_unknown(landing, path, reason if real_folder else file_reason))
    return False


def _scan_feed(
    landing: Path,
    department: str,
    feed_dir: Path,
    contracts: Contracts,
    window: DeliveryWindow | None,
) -> tuple[FeedInventory, list[UnknownFile], list[UnknownFile], list[OutsideWindow]]:
    feed = feed_dir.name
    deliveries: list[_Delivery] = []
    unknown: list[UnknownFile] = []
    refused: list[UnknownFile] = []
    outside: list[OutsideWindow] = []
    for entry in _sorted_entries(feed_dir):
        relative = entry.relative_to(landing).as_posix()
        reason = refusal(entry)
        if reason is not None and entry.is_dir() and not entry.is_symlink():
            # A folder named as a delivery is refused; any other holds stray files.
            contract, day, _ = match_delivery(contracts, relative)
            if day is None and not undecodable(entry.name):
                _nested(landing, entry, unknown, refused)
                continue
        if reason is not None:
            refused.append(_unknown(landing, entry, reason))
            continue
        contract, day, reason = match_delivery(contracts, relative)
        if contract is None or day is None:  # a day is only ever matched with its contract
            unknown.append(_unknown(landing, entry, reason))
        elif window is not None and (why := window.why_outside(day)) is not None:
            outside.append(OutsideWindow(shown_name(relative), day, why))
        else:
            deliveries.append(
                _Delivery(day=day, ext=contract.landing.format, bytes=file_size(entry))
            )

    days = sorted({delivery.day for delivery in deliveries})
    first_day = days[0] if days else None
    last_day = days[-1] if days else None
    return (
        FeedInventory(
            department=shown_name(department),
            feed=shown_name(feed),
            files=len(deliveries),
            bytes=sum(delivery.bytes for delivery in deliveries),
            first_day=first_day,
            last_day=last_day,
            days_delivered=len(days),
            missing_days=_missing_days(days),
            formats=tuple(sorted({delivery.ext for delivery in deliveries})),
            unknown_files=len(unknown),
            files_outside_window=len(outside),
            refused_files=len(refused),
        ),
        unknown,
        refused,
        outside,
    )


def _nested(
    landing: Path, folder: Path, unknown: list[UnknownFile], refused: list[UnknownFile]
) -> None:
    """What a folder below a feed's folder holds: stray files, or what landing refuses."""
    for entry in _sorted_entries(folder):
        reason = refusal(entry)
        if reason is None:
            unknown.append(_unknown(landing, entry, "nested below the feed folder"))
        elif entry.is_dir() and not entry.is_symlink() and not undecodable(entry.name):
            _nested(landing, entry, unknown, refused)
        else:
            refused.append(_unknown(landing, entry, reason))


def _missing_days(days: list[date]) -> tuple[date, ...]:
    if not days:
        return ()
    delivered = set(days)
    span = (days[-1] - days[0]).days
    every_day = (days[0] + timedelta(days=offset) for offset in range(span + 1))
    return tuple(day for day in every_day if day not in delivered)


def _sorted_entries(folder: Path) -> list[Path]:
    # Sorted so that reports are identical for identical trees.
    return sorted(folder.iterdir(), key=lambda entry: entry.name)


def _unknown(landing: Path, path: Path, reason: str) -> UnknownFile:
    return UnknownFile(
        path=shown_name(path.relative_to(landing).as_posix()), bytes=file_size(path), reason=reason
    )


# --- serialisation -----------------------------------------------------------------------------

_PARQUET_SCHEMA: SchemaDict = {
    "department": pl.String,
    "feed": pl.String,
    "files": pl.Int64,
    "bytes": pl.Int64,
    "first_day": pl.Date,
    "last_day": pl.Date,
    "days_delivered": pl.Int64,
    "missing_days": pl.List(pl.Date),
    "formats": pl.List(pl.String),
    "unknown_files": pl.Int64,
    "files_outside_window": pl.Int64,
    "refused_files": pl.Int64,
}


def write_inventory(inventory: LandingInventory, reports: Path) -> tuple[Path, Path]:
    """Write the inventory as Parquet (one row per feed) and JSON (also unknown files)."""
    parquet_path = reports / INVENTORY_PARQUET
    json_path = reports / INVENTORY_JSON
    frame = pl.DataFrame(
        [
            {
                "department": feed.department,
                "feed": feed.feed,
                "files": feed.files,
                "bytes": feed.bytes,
                "first_day": feed.first_day,
                "last_day": feed.last_day,
                "days_delivered": feed.days_delivered,
                "missing_days": list(feed.missing_days),
                "formats": list(feed.formats),
                "unknown_files": feed.unknown_files,
                "files_outside_window": feed.files_outside_window,
                "refused_files": feed.refused_files,
            }
            for feed in inventory.feeds
        ],
        schema=_PARQUET_SCHEMA,
    )
    with atomic_output(parquet_path) as tmp_path:
        frame.write_parquet(tmp_path)
    report = json.dumps(to_json(inventory), ensure_ascii=False, indent=2) + "\n"
    write_text_atomic(json_path, report)
    return parquet_path, json_path


def to_json(inventory: LandingInventory) -> dict[str, Any]:
    return {
        "landing": shown_name(str(inventory.landing)),
        "totals": {
            "feeds": len(inventory.feeds),
            "files": inventory.total_files,
            "bytes": inventory.total_bytes,
            "missing_days": inventory.total_missing_days,
            "unknown_files": len(inventory.unknown_files),
            "files_outside_window": len(inventory.outside_window),
            "refused_files": len(inventory.refused_files),
        },
        "window": inventory.window.to_json() if inventory.window else None,
        "feeds": [
            {
                "department": feed.department,
                "feed": feed.feed,
                "files": feed.files,
                "bytes": feed.bytes,
                "first_day": _iso(feed.first_day),
                "last_day": _iso(feed.last_day),
                "days_delivered": feed.days_delivered,
                "missing_days": [day.isoformat() for day in feed.missing_days],
                "formats": list(feed.formats),
                "unknown_files": feed.unknown_files,
                "files_outside_window": feed.files_outside_window,
                "refused_files": feed.refused_files,
            }
            for feed in inventory.feeds
        ],
        "unknown_files": [
            {"path": item.path, "bytes": item.bytes, "reason": item.reason}
            for item in inventory.unknown_files
        ],
        "outside_window": [
            {"path": item.path, "day": item.day.isoformat(), "reason": item.reason}
            for item in inventory.outside_window
        ],
        "refused_files": [
            {"path": item.path, "bytes": item.bytes, "reason": item.reason}
            for item in inventory.refused_files
        ],
    }


def read_inventory(json_path: Path) -> LandingInventory:
    """Read back the JSON written by write_inventory (used by the asset checks)."""
    data = json.loads(json_path.read_text(encoding="utf-8"))
    return LandingInventory(
        landing=Path(data["landing"]),
        feeds=tuple(
            FeedInventory(
                department=feed["department"],
                feed=feed["feed"],
                files=feed["files"],
                bytes=feed["bytes"],
                first_day=_day(feed["first_day"]),
                last_day=_day(feed["last_day"]),
                days_delivered=feed["days_delivered"],
                missing_days=tuple(date.fromisoformat(day) for day in feed["missing_days"]),
                formats=tuple(feed["formats"]),
                unknown_files=feed["unknown_files"],
                files_outside_window=feed.get("files_outside_window", 0),
                refused_files=feed.get("refused_files", 0),
            )
            for feed in data["feeds"]
        ),
        unknown_files=tuple(
            UnknownFile(path=item["path"], bytes=item["bytes"], reason=item["reason"])
            for item in data["unknown_files"]
        ),
        outside_window=tuple(
            OutsideWindow(
                path=item["path"], day=date.fromisoformat(item["day"]), reason=item["reason"]
            )
            for item in data.get("outside_window", [])
        ),
        window=DeliveryWindow.from_json(data["window"]) if data.get("window") else None,
        refused_files=tuple(
            UnknownFile(path=item["path"], bytes=item["bytes"], reason=item["reason"])
            for item in data.get("refused_files", [])
        ),
    )


def markdown_table(feeds: Iterable[FeedInventory]) -> str:
    lines = [
        "| department | feed | files | bytes | first day | last day | missing days |",
        "|---|---|--:|--:|---|---|---|",
    ]
    for feed in feeds:
        lines.append(
            f"| {feed.department} | {feed.feed} | {feed.files} | {feed.bytes:,} "
            f"| {_iso(feed.first_day) or '—'} | {_iso(feed.last_day) or '—'} "
            f"| {summarise_days(feed.missing_days) or 'none'} |"
        )
    return "\n".join(lines)


def summarise_days(days: tuple[date, ...], shown: int = 5) -> str:
    """'3: 2026-01-02, 2026-01-05, 2026-01-09', cut after `shown` days."""
    if not days:
        return ""
    listed = ", ".join(day.isoformat() for day in days[:shown])
    more = f", … {len(days) - shown} more" if len(days) > shown else ""
    return f"{len(days)}: {listed}{more}"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text is not None else None

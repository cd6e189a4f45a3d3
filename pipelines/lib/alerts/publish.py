"""Publishing CAP alerts: `alerts/` mirrors the current warnings, one valid file per warning.

`alerts/<warning_id>.xml` holds each warning's CAP 1.2 alert and `alerts/index.json` lists
them (identifier, level, colour, event, headline, times, circle, file), most severe first. Every
alert is built and validated before anything is written: one invalid alert publishes
nothing and names the warning. Files then appear atomically (docs/architecture.md, row accounting: outputs
appear complete or not at all), the index after the files it lists, and only then are the
alerts of warnings that no longer exist removed, so a reader following the index never
meets a missing file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from pipelines.lib.alerts.cap import CAP_NAMESPACE, build_cap_alert, cap_errors
from pipelines.lib.atomic import atomic_output, write_text_atomic
from pipelines.lib.city_profile import CityProfile
from pipelines.lib.duckdb_connection import connect

INDEX_FILE = "index.json"
_NS = {"cap": CAP_NAMESPACE}
_MAX_LISTED = 20  # problems named in one error message; the count says how many in all


class InvalidAlertError(ValueError):
    """Warnings that cannot be published as valid CAP 1.2 alerts (nothing was published)."""


@dataclass(frozen=True)
class AlertsSummary:
    alerts: int
    written: int  # new or changed files
    unchanged: int
    removed: int  # alerts of warnings no longer present
    without_circle: int = 0  # warnings whose subject has no known place: described by name only
    by_level: dict[int, int] = field(default_factory=dict)

    def metadata(self) -> dict[str, int]:
        return {
            "alerts": self.alerts,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "without_circle": self.without_circle,
            **{f"level_{level}": self.by_level.get(level, 0) for level in (1, 2, 3, 4)},
        }


def read_warnings(warehouse: Path) -> list[dict[str, Any]]:
    """Every row of `main.warnings`, read-only (the warehouse pool keeps writers out meanwhile)."""
    connection = connect(str(warehouse), read_only=True)
    try:
        cursor = connection.execute("SELECT * FROM main.warnings ORDER BY warning_id")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def write_alerts(
    warnings: Iterable[Mapping[str, Any]],
    alerts_dir: Path,
    city: CityProfile,
    department_names: Mapping[str, str] | None = None,
) -> AlertsSummary:
    """Make `alerts_dir` hold exactly one valid CAP alert per warning, plus index.json.

    `department_names` name each alert's audience (see `build_cap_alert`).
    """
    alerts: dict[str, bytes] = {}
    problems: list[str] = []
    for warning in warnings:
        warning_id = warning.get("warning_id")
        if warning_id in alerts:
            problems.append(f"warning {warning_id!r}: appears more than once")
            continue
        try:
            xml = build_cap_alert(warning, city, department_names)
        except ValueError as error:
            problems.append(f"warning {warning_id!r}: {error}")
            continue
        errors = cap_errors(xml)
        if errors:
            problems.append(
                f"warning {warning_id!r}: not a valid CAP 1.2 alert: {'; '.join(errors)}"
            )
            continue
        assert warning_id is not None, "build_cap_alert refuses a warning without one"
        alerts[warning_id] = xml
    if problems:
        raise InvalidAlertError(
            f"{len(problems)} warning(s) cannot be published as CAP 1.2 alerts; nothing was published:\n"
            + "\n".join(problems[:_MAX_LISTED])
            + (
                f"\n... and {len(problems) - _MAX_LISTED} more"
                if len(problems) > _MAX_LISTED
                else ""
            )
        )

    alerts_dir.mkdir(parents=True, exist_ok=True)
    written = unchanged = 0
    for warning_id, xml in alerts.items():
        path = alerts_dir / f"{warning_id}.xml"
        # An unchanged alert keeps its file (and mtime): consumers polling the folder see only news.
        if path.is_file() and path.read_bytes() == xml:
            unchanged += 1
            continue
        with atomic_output(path) as tmp_path:
            tmp_path.write_bytes(xml)
        written += 1

    entries = [index_entry(xml, f"{warning_id}.xml") for warning_id, xml in alerts.items()]
    entries.sort(key=lambda entry: (entry["level"], entry["identifier"]))
    write_text_atomic(alerts_dir / INDEX_FILE, _index_json(entries))

    removed = 0
    for path in alerts_dir.glob("*.xml"):
        if path.stem not in alerts:
            path.unlink()
            removed += 1

    by_level = Counter(entry["level"] for entry in entries)
    without_circle = sum(entry["circle"] is None for entry in entries)
    return AlertsSummary(
        len(alerts), written, unchanged, removed, without_circle, dict(sorted(by_level.items()))
    )


def index_entry(xml: bytes, file: str) -> dict[str, Any]:
    """What index.json says about one alert, read from the alert itself so the two cannot disagree."""
    root = etree.fromstring(xml)
    info = root.find("cap:info", _NS)
    parameters = {
        p.findtext("cap:valueName", namespaces=_NS): p.findtext("cap:value", namespaces=_NS)
        for p in info.findall("cap:parameter", _NS)
    }
    return {
        "identifier": root.findtext("cap:identifier", namespaces=_NS),
        "level": int(parameters["warning_level"]),
        "colour": parameters["warning_colour"],
        "severity": info.findtext("cap:severity", namespaces=_NS),
        "event": info.findtext("cap:event", namespaces=_NS),
        "headline": info.findtext("cap:headline", namespaces=_NS),
        "sent": root.findtext("cap:sent", namespaces=_NS),
        "expires": info.findtext("cap:expires", namespaces=_NS),
        "circle": info.findtext("cap:area/cap:circle", namespaces=_NS),
        "file": file,
    }


def _index_json(entries: list[dict[str, Any]]) -> str:
    # No generation time in the index: the same warnings give a byte-identical folder.
    return json.dumps({"alerts": entries}, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class PublishedCheck:
    files: int
    problems: list[str]


def check_published(alerts_dir: Path) -> PublishedCheck:
    """Re-read what is on disk: every alert valid CAP 1.2, named by its identifier, and listed in the index."""
    problems: list[str] = []
    paths = sorted(alerts_dir.glob("*.xml"))
    for path in paths:
        xml = path.read_bytes()
        errors = cap_errors(xml)
        if errors:
            problems.append(f"{path.name}: {'; '.join(errors)}")
            continue
        identifier = etree.fromstring(xml).findtext("cap:identifier", namespaces=_NS)
        if identifier != path.stem:
            problems.append(f"{path.name}: identifier is {identifier!r}")
    index_path = alerts_dir / INDEX_FILE
    if not index_path.is_file():
        problems.append(f"{INDEX_FILE} is missing")
    else:
        listed = {
            entry["file"] for entry in json.loads(index_path.read_text(encoding="utf-8"))["alerts"]
        }
        present = {path.name for path in paths}
        if listed != present:
            problems.append(
                f"{INDEX_FILE} lists {len(listed - present)} missing file(s) and omits {len(present - listed)}"
            )
    return PublishedCheck(len(paths), problems)

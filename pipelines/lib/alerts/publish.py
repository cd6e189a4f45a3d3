"""Publishing CAP messages: `alerts/` holds every message of every warning's thread, one valid file each.

`alerts/<identifier>.xml` holds each CAP 1.2 message of `warning_messages` (every
continuing warning's Alert, Updates and Cancel; a row of `warnings` is sent as an Alert)
and `alerts/index.json` lists them (identifier, msgType, references, in_force, thread,
level, colour, event, headline, times, circle, file), the messages in force first, most
severe first. The mart keeps every message ever sent, so the folder does too: a message,
once published, stays as it was (an unchanged message's file is not rewritten) and the
next day's messages join it. Every message is built and validated before anything is
written, and every Update and Cancel must reference a message published with it: one
invalid message publishes nothing and names the message. Files then appear atomically
(docs/architecture.md, row accounting: outputs appear complete or not at all), the index
after the files it lists, and only then are the files of messages no longer in the
mart (a rebuilt history) removed, so a reader following the index never meets a missing file.

A message, once sent, does not change. With a `cache` file the publication remembers what it
sent: a message whose file is on disk as the cache recorded it (size and modification time),
by the same builder (this code, the city, the departments' names), and whose identifier and
sent time are still its row's, is the message as sent. It is not built, validated or parsed
again, and it stays as it is even when its row has changed since: later deliveries restate a
day's evidence (a leak that went on) or locate a place more precisely, and the warehouse's
history shows that, but receivers already hold the message. Those are counted (`restated`).
A message sent while its day was still open is sent again, at a new time, when the day
closes, and so replaced. Without the cache (deleted, or made by other code) every message is
built again from its row. The asset's check still re-reads and validates every file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from pipelines.lib.alerts.cap import (
    CAP_NAMESPACE,
    MSG_TYPES,
    build_cap_alert,
    cap_errors,
    cap_schema_file,
    message_sent,
    parse_references,
)
from pipelines.lib.atomic import atomic_output, write_text_atomic
from pipelines.lib.city_profile import CityProfile
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.work_cache import read_cache, write_cache

INDEX_FILE = "index.json"
_NS = {"cap": CAP_NAMESPACE}
_MAX_LISTED = 20  # problems named in one error message; the count says how many in all


class InvalidAlertError(ValueError):
    """Warnings that cannot be published as valid CAP 1.2 alerts (nothing was published)."""


@dataclass(frozen=True)
class AlertsSummary:
    alerts: int  # messages published
    written: int  # new or changed files
    unchanged: int
    removed: int  # messages no longer in the mart
    restated: int = 0  # kept as sent, though their row has changed since (see the module's doc)
    without_circle: int = 0  # warnings whose subject has no known place: described by name only
    by_level: dict[int, int] = field(default_factory=dict)
    by_msg_type: dict[str, int] = field(default_factory=dict)
    in_force: int = 0  # messages receivers act on now

    def metadata(self) -> dict[str, int]:
        return {
            "alerts": self.alerts,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "restated": self.restated,
            "without_circle": self.without_circle,
            "in_force": self.in_force,
            **{f"level_{level}": self.by_level.get(level, 0) for level in (1, 2, 3, 4)},
            **{f"msg_{kind.lower()}": self.by_msg_type.get(kind, 0) for kind in MSG_TYPES},
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


def read_messages(warehouse: Path) -> list[dict[str, Any]]:
    """Every row of `main.warning_messages`, thread by thread in the order sent, read-only."""
    connection = connect(str(warehouse), read_only=True)
    try:
        cursor = connection.execute(
            "SELECT * FROM main.warning_messages ORDER BY lifecycle_id, message_number"
        )
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def write_alerts(
    warnings: Iterable[Mapping[str, Any]],
    alerts_dir: Path,
    city: CityProfile,
    department_names: Mapping[str, str] | None = None,
    cache: Path | None = None,
) -> AlertsSummary:
    """Make `alerts_dir` hold exactly one valid CAP message per row, plus index.json.

    Rows are warning_messages' (a message each) or warnings' (an Alert each).
    `department_names` name each message's audience (see `build_cap_alert`). `cache` is a
    file (outside `alerts_dir`) that remembers the messages sent (see the module's doc).
    """
    zone = ZoneInfo(city.timezone)
    builder = _builder_fingerprint(city, department_names or {})
    cached = read_cache(cache, builder)
    recorded: dict[str, dict[str, Any]] = {}  # messages as sent: message -> the cache's entry
    restated = 0
    alerts: dict[str, bytes] = {}  # messages built this time
    in_force: dict[str, bool] = {}  # the mart's, not the message's: it moves as a thread goes on
    references: dict[str, str] = {}
    problems: list[str] = []
    rows: dict[str, str] = {}  # message -> fingerprint of its row
    for warning in warnings:
        kind = "message" if "message_id" in warning else "warning"
        warning_id = warning.get("message_id" if kind == "message" else "warning_id")
        if warning_id in rows:
            problems.append(f"{kind} {warning_id!r}: appears more than once")
            continue
        if warning_id is not None:
            rows[warning_id] = _row_fingerprint(warning)
            in_force[warning_id] = bool(warning.get("in_force", True))
            if warning.get("references_message_id") is not None:
                references[warning_id] = warning["references_message_id"]
            entry = cached.get(warning_id)
            if entry is not None and _as_sent(entry, warning, zone, alerts_dir):
                index = {**entry["index"], "in_force": in_force[warning_id]}
                recorded[warning_id] = {**entry, "index": index}
                restated += entry["row"] != rows[warning_id]
                continue
        try:
            xml = build_cap_alert(warning, city, department_names)
        except ValueError as error:
            problems.append(f"{kind} {warning_id!r}: {error}")
            continue
        errors = cap_errors(xml)
        if errors:
            problems.append(
                f"{kind} {warning_id!r}: not a valid CAP 1.2 alert: {'; '.join(errors)}"
            )
            continue
        assert warning_id is not None, "build_cap_alert refuses a warning without one"
        alerts[warning_id] = xml
    # A thread is published whole: no Update or Cancel whose predecessor is missing.
    published = alerts.keys() | recorded.keys()
    problems.extend(
        f"message {identifier!r}: references {predecessor!r}, which is not published with it"
        for identifier, predecessor in references.items()
        if identifier in published and predecessor not in published
    )
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
    written, unchanged = 0, len(recorded)
    for warning_id, xml in alerts.items():
        path = alerts_dir / f"{warning_id}.xml"
        # An unchanged alert keeps its file (and mtime): consumers polling the folder see only news.
        if path.is_file() and path.read_bytes() == xml:
            unchanged += 1
            continue
        with atomic_output(path) as tmp_path:
            tmp_path.write_bytes(xml)
        written += 1

    built = {
        warning_id: index_entry(xml, f"{warning_id}.xml", in_force[warning_id])
        for warning_id, xml in alerts.items()
    }
    entries = [entry["index"] for entry in recorded.values()] + list(built.values())
    # In force first, most severe first; a thread's messages together, in the order sent.
    entries.sort(
        key=lambda entry: (
            not entry["in_force"],
            entry["level"],
            entry["thread"] or entry["identifier"],
            entry["sent"],
            entry["identifier"],
        )
    )
    write_text_atomic(alerts_dir / INDEX_FILE, _index_json(entries))

    removed = 0
    for path in alerts_dir.glob("*.xml"):
        if path.stem not in published:
            path.unlink()
            removed += 1
    # Rewritten only when it would change: on large it is about 47 MB.
    if cache is not None and (built or recorded.keys() != cached.keys()):
        write_cache(
            cache,
            builder,
            {**recorded, **{i: _cache_entry(rows[i], alerts_dir, e) for i, e in built.items()}},
        )

    by_level = Counter(entry["level"] for entry in entries)
    by_msg_type = Counter(entry["msgType"] for entry in entries)
    without_circle = sum(entry["circle"] is None for entry in entries)
    return AlertsSummary(
        len(published),
        written,
        unchanged,
        removed,
        restated,
        without_circle,
        dict(sorted(by_level.items())),
        {kind: by_msg_type[kind] for kind in MSG_TYPES if by_msg_type[kind]},
        sum(entry["in_force"] for entry in entries),
    )


def index_entry(xml: bytes, file: str, in_force: bool = True) -> dict[str, Any]:
    """What index.json says about one message, read from the message itself so the two cannot disagree.

    in_force (the message receivers act on now) is the mart's: it changes as the thread
    goes on, while the message itself does not.
    """
    root = etree.fromstring(xml)
    info = root.find("cap:info", _NS)
    parameters = {
        p.findtext("cap:valueName", namespaces=_NS): p.findtext("cap:value", namespaces=_NS)
        for p in info.findall("cap:parameter", _NS)
    }
    return {
        "identifier": root.findtext("cap:identifier", namespaces=_NS),
        "msgType": root.findtext("cap:msgType", namespaces=_NS),
        "references": root.findtext("cap:references", namespaces=_NS),
        "in_force": in_force,
        "thread": root.findtext("cap:incidents", namespaces=_NS),
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


def _builder_fingerprint(city: CityProfile, department_names: Mapping[str, str]) -> str:
    """What a message depends on besides its row: the code that builds it, the city's
    code, names and time zone, and the departments' names."""
    digest = hashlib.sha256()
    for module in (Path(__file__), Path(__file__).with_name("cap.py")):
        digest.update(module.read_bytes())
    digest.update(
        json.dumps(
            [
                city.code,
                city.name,
                city.short_name,
                city.timezone,
                sorted(department_names.items()),
            ],
            ensure_ascii=False,
        ).encode()
    )
    return digest.hexdigest()


def _validator_fingerprint() -> str:
    """What a message's validity depends on besides its bytes: the code that checks it and the schema."""
    digest = hashlib.sha256(Path(__file__).with_name("cap.py").read_bytes())
    digest.update(cap_schema_file().read_bytes())
    return digest.hexdigest()


def _row_fingerprint(row: Mapping[str, Any]) -> str:
    """What the message says: its row but in_force, which is not in the message."""
    # str() of a timestamp keeps its offset; of a Decimal, every digit.
    said = {column: value for column, value in row.items() if column != "in_force"}
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()


def _as_sent(
    entry: Mapping[str, Any], row: Mapping[str, Any], zone: ZoneInfo, alerts_dir: Path
) -> bool:
    """The cache's entry is a message sent at the row's sent time, and its file is on disk as
    the entry saw it."""
    try:
        if entry["index"]["sent"] != message_sent(row, zone):
            return False
        stat = (alerts_dir / entry["index"]["file"]).stat()
        return [stat.st_size, stat.st_mtime_ns] == entry["file_stat"]
    except (OSError, KeyError, TypeError, ValueError):  # a damaged entry, or a row without a time
        return False


def _cache_entry(row: str, alerts_dir: Path, index: dict[str, Any]) -> dict[str, Any]:
    stat = (alerts_dir / index["file"]).stat()
    return {"row": row, "file_stat": [stat.st_size, stat.st_mtime_ns], "index": index}


def _index_json(entries: list[dict[str, Any]]) -> str:
    # No generation time in the index: the same warnings give a byte-identical folder.
    return json.dumps({"messages": entries}, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class PublishedCheck:
    files: int
    problems: list[str]


def check_published(alerts_dir: Path, memo: Path | None = None) -> PublishedCheck:
    """Re-read what is on disk: every message valid CAP 1.2, named by its identifier, each
    reference naming a message on disk by its sender and sent time, and the index listing exactly them.

    Every file is read each time. With a `memo` file (outside `alerts_dir`), a file whose bytes
    (by SHA-256) were found valid before, by this validator, is not validated again: its
    header is the memo's. On large, validating 56,000 unchanged messages took 10 s a run.
    """
    problems: list[str] = []
    paths = sorted(alerts_dir.glob("*.xml"))
    validator = _validator_fingerprint()
    known = read_cache(memo, validator)
    valid: dict[str, list[str | None]] = {}  # SHA-256 -> identifier, sender, sent, references
    headers: dict[str, tuple[str | None, str | None]] = {}  # identifier -> (sender, sent)
    cited: list[tuple[str, str, str, str]] = []  # (file, sender, identifier, sent)
    for path in paths:
        xml = path.read_bytes()
        digest = hashlib.sha256(xml).hexdigest()
        header = known.get(digest)
        if not (isinstance(header, list) and len(header) == 4):  # not found valid, or damaged
            errors = cap_errors(xml)
            if errors:
                problems.append(f"{path.name}: {'; '.join(errors)}")
                continue
            root = etree.fromstring(xml)
            header = [
                root.findtext(f"cap:{name}", namespaces=_NS)
                for name in ("identifier", "sender", "sent", "references")
            ]
        valid[digest] = header
        identifier, sender, sent, references = header
        if identifier != path.stem:
            problems.append(f"{path.name}: identifier is {identifier!r}")
        headers[path.stem] = (sender, sent)
        if references:
            cited.extend((path.name, *entry) for entry in parse_references(references))
    if memo is not None and valid.keys() != known.keys():
        write_cache(memo, validator, valid)
    for file, sender, identifier, sent in cited:
        if identifier not in headers:
            problems.append(f"{file}: references {identifier!r}, which is not published")
        elif headers[identifier] != (sender, sent):
            problems.append(
                f"{file}: references {identifier!r} as sent by {sender} at {sent}, "
                f"but it was sent by {headers[identifier][0]} at {headers[identifier][1]}"
            )
    index_path = alerts_dir / INDEX_FILE
    if not index_path.is_file():
        problems.append(f"{INDEX_FILE} is missing")
    else:
        listed = {
            entry["file"]
            for entry in json.loads(index_path.read_text(encoding="utf-8"))["messages"]
        }
        present = {path.name for path in paths}
        if listed != present:
            problems.append(
                f"{INDEX_FILE} lists {len(listed - present)} missing file(s) and omits {len(present - listed)}"
            )
    return PublishedCheck(len(paths), problems)

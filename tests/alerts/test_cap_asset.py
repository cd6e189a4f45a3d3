"""The alerts/cap Dagster asset: reads main.warnings from the warehouse file, publishes, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from pipelines.lib.alerts import check_published
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

# warning_messages' columns: the message's, then the warning's as of the message.
COLUMNS = """
    message_id VARCHAR, lifecycle_id VARCHAR, message_number BIGINT, msg_type VARCHAR,
    references_message_id VARCHAR, references_sent_at TIMESTAMPTZ, update_reasons VARCHAR,
    close_reason VARCHAR, in_force BOOLEAN,
    warning_id VARCHAR, rule_id VARCHAR, rule_description VARCHAR, level INTEGER, colour VARCHAR,
    event_type VARCHAR, subject_kind VARCHAR, subject_key VARCHAR, subject_name VARCHAR,
    as_of_date DATE, sent_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, county_code VARCHAR,
    township_code VARCHAR, area_name VARCHAR, longitude DOUBLE, latitude DOUBLE, radius_m DOUBLE,
    reasons VARCHAR, responsible_department VARCHAR
"""
DAY_1, DAY_2 = datetime(2026, 3, 7, 16, tzinfo=UTC), datetime(2026, 3, 8, 16, tzinfo=UTC)


def _row(
    message_id: str,
    thread: str,
    message_number: int,
    msg_type: str,
    level: int,
    colour: str,
    event_type: str,
    sent_at: datetime,
    references: tuple = (None, None),
    in_force: bool = False,
) -> tuple:
    cancel = msg_type == "Cancel"
    return (
        message_id, thread, message_number, msg_type, *references,
        "level" if msg_type == "Update" else None, "lifted" if cancel else None, in_force,
        None if cancel else message_id, "rule", "规则", level, colour, event_type, "organisation", "G1",
        "某某公司 & <分店>", date(2026, 3, 7), sent_at, None if cancel else datetime(2026, 3, 10, 16, tzinfo=UTC),
        "510106", None, None, 104.05, 30.7, 500.0, "预警解除" if cancel else "证据 evidence", "emergency_management",
    )  # fmt: skip


ROWS = [
    # a: an Alert raised to level 1 by an Update, in force; b: an Alert and its Cancel.
    _row("a", "a", 1, "Alert", 2, "orange", "hazardous_chemicals", DAY_1),
    _row("a2", "a", 2, "Update", 1, "red", "hazardous_chemicals", DAY_2, ("a", DAY_1), True),
    _row("b", "b", 1, "Alert", 4, "blue", "food_safety", DAY_1),
    _row("b2", "b", 2, "Cancel", 4, "blue", "food_safety", DAY_2, ("b", DAY_1)),
]


def test_cap_alerts_asset_publishes_and_checks(tmp_path):
    from pipelines.defs.alerts import defs
    from pipelines.defs.alerts.assets import CAP_ALERTS_KEY, VALID_CHECK, cap_alerts
    from pipelines.defs.warehouse.assets import model_key

    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute(f"CREATE TABLE main.warning_messages ({COLUMNS})")
    connection.executemany(
        "INSERT INTO main.warning_messages VALUES (" + ", ".join(["?"] * len(ROWS[0])) + ")", ROWS
    )
    connection.close()
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "stale.xml").write_text("<old/>", encoding="utf-8")

    assert list(defs.assets or []) == [cap_alerts]
    (spec,) = cap_alerts.specs
    assert (spec.group_name, cap_alerts.op.pool) == ("alerts", "warehouse")
    assert model_key("warning_messages") in {dep.asset_key for dep in spec.deps}
    result = dg.materialize(
        [cap_alerts], resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(tmp_path))}
    )

    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    figures = (
        "alerts",
        "removed",
        "in_force",
        "msg_alert",
        "msg_update",
        "msg_cancel",
        "level_1",
        "level_2",
        "level_4",
    )
    assert {k: metadata[k].value for k in figures} == {
        "alerts": 4, "removed": 1, "in_force": 1, "msg_alert": 2, "msg_update": 1, "msg_cancel": 1,
        "level_1": 1, "level_2": 1, "level_4": 2,
    }  # fmt: skip
    (check,) = result.get_asset_check_evaluations()
    assert (check.asset_key, check.check_name, check.passed) == (CAP_ALERTS_KEY, VALID_CHECK, True)
    assert check.metadata["files"].value == 4
    assert sorted(p.name for p in (tmp_path / "alerts").iterdir()) == [
        "a.xml",
        "a2.xml",
        "b.xml",
        "b2.xml",
        "index.json",
    ]
    update = (tmp_path / "alerts" / "a2.xml").read_text(encoding="utf-8")
    assert "<msgType>Update</msgType>" in update
    assert "<references>safecity@5101,a,2026-03-08T00:00:00+08:00</references>" in update
    # Addressed by the display name the contracts' shared vocabulary gives the department.
    vocabulary = shared_vocabulary(contracts_dir())
    assert vocabulary is not None
    name = vocabulary.department_names["emergency_management"]
    audience = f"<audience>{name} (emergency_management)</audience>"
    assert audience in (tmp_path / "alerts" / "a.xml").read_text(encoding="utf-8")
    # A message whose predecessor is gone from the folder fails the check.
    (tmp_path / "alerts" / "a.xml").unlink()
    assert check_published(tmp_path / "alerts").problems == [
        "a2.xml: references 'a', which is not published",
        "index.json lists 1 missing file(s) and omits 0",
    ]

"""The alerts/cap Dagster asset: reads main.warnings from the warehouse file, publishes, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

COLUMNS = """
    warning_id VARCHAR, rule_id VARCHAR, rule_description VARCHAR, level INTEGER, colour VARCHAR,
    event_type VARCHAR, subject_kind VARCHAR, subject_key VARCHAR, subject_name VARCHAR,
    as_of_date DATE, issued_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, county_code VARCHAR,
    township_code VARCHAR, area_name VARCHAR, longitude DOUBLE, latitude DOUBLE, radius_m DOUBLE,
    reasons VARCHAR, responsible_department VARCHAR
"""


def _row(warning_id: str, level: int, colour: str, event_type: str) -> tuple:
    return (
        warning_id, "rule", "规则", level, colour, event_type, "organisation", "G1", "某某公司 & <分店>",
        date(2026, 3, 7), datetime(2026, 3, 7, 16, tzinfo=UTC), datetime(2026, 3, 10, 16, tzinfo=UTC),
        "510106", None, None, 104.05, 30.7, 500.0, "证据 evidence", "emergency_management",
    )  # fmt: skip


def test_cap_alerts_asset_publishes_and_checks(tmp_path):
    from pipelines.defs.alerts import defs
    from pipelines.defs.alerts.assets import CAP_ALERTS_KEY, VALID_CHECK, cap_alerts
    from pipelines.defs.warehouse.assets import model_key

    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute(f"CREATE TABLE main.warnings ({COLUMNS})")
    connection.executemany(
        "INSERT INTO main.warnings VALUES (" + ", ".join(["?"] * 20) + ")",
        [_row("a", 1, "red", "hazardous_chemicals"), _row("b", 4, "blue", "food_safety")],
    )
    connection.close()
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "stale.xml").write_text("<old/>", encoding="utf-8")

    assert list(defs.assets or []) == [cap_alerts]
    (spec,) = cap_alerts.specs
    assert (spec.group_name, cap_alerts.op.pool) == ("alerts", "warehouse")
    assert model_key("warnings") in {dep.asset_key for dep in spec.deps}
    result = dg.materialize(
        [cap_alerts], resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(tmp_path))}
    )

    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert {k: metadata[k].value for k in ("alerts", "removed", "level_1", "level_2", "level_4")} == {
        "alerts": 2, "removed": 1, "level_1": 1, "level_2": 0, "level_4": 1,
    }  # fmt: skip
    (check,) = result.get_asset_check_evaluations()
    assert (check.asset_key, check.check_name, check.passed) == (CAP_ALERTS_KEY, VALID_CHECK, True)
    assert check.metadata["files"].value == 2
    assert sorted(p.name for p in (tmp_path / "alerts").iterdir()) == [
        "a.xml",
        "b.xml",
        "index.json",
    ]
    # Addressed by the display name the contracts' shared vocabulary gives the department.
    vocabulary = shared_vocabulary(contracts_dir())
    assert vocabulary is not None
    name = vocabulary.department_names["emergency_management"]
    audience = f"<audience>{name} (emergency_management)</audience>"
    assert audience in (tmp_path / "alerts" / "a.xml").read_text(encoding="utf-8")

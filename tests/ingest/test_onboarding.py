"""A feed the code has never seen is onboarded by dropping in a contract: no Python changes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:safecity:feed:urban_management:manhole_covers
name: manhole_covers
version: 1.0.0
status: active
domain: urban_management
description:
  purpose: Manhole-cover patrols by city management (城管), a department the platform did not know.
team:
  name: urban_management
  members:
    - username: data@cg.chengdu.example
      role: owner
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: latency
    value: 1
    unit: d
    element: manhole_covers.patrolled_at
customProperties:
  - property: landing
    value: {format: csv, encoding: utf-8, file: "jg_{yyyymmdd}.csv"}
  - property: coordinates
    value: {system: GCJ02, longitude: longitude, latitude: latitude}
schema:
  - name: manhole_covers
    logicalType: object
    properties:
      - name: cover_id
        logicalType: string
        physicalType: VARCHAR
        required: true
        primaryKey: true
        primaryKeyPosition: 1
        classification: public
        logicalTypeOptions: {pattern: "^JG\\\\d{6}$"}
        customProperties: [{property: source, value: 井盖编号}]
      - name: county_code
        logicalType: string
        physicalType: VARCHAR
        required: true
        classification: public
        customProperties: [{property: source, value: 区县}, {property: standard, value: admin_county}]
      - name: condition
        logicalType: string
        physicalType: VARCHAR
        classification: public
        enum: [{value: 完好}, {value: 破损}, {value: 缺失}]
        customProperties: [{property: source, value: 状态}]
      - name: longitude
        logicalType: number
        physicalType: DOUBLE
        required: true
        classification: public
        customProperties: [{property: source, value: 经度}]
      - name: latitude
        logicalType: number
        physicalType: DOUBLE
        required: true
        classification: public
        customProperties: [{property: source, value: 纬度}]
      - name: patrolled_at
        logicalType: timestamp
        physicalType: TIMESTAMPTZ
        required: true
        classification: internal
        customProperties:
          - {property: source, value: 巡查时间}
          - {property: sourceFormats, value: ["%Y-%m-%d %H:%M"]}
          - {property: notAfterDelivery, value: true}
"""
DELIVERY = """\
井盖编号,区县,状态,经度,纬度,巡查时间
JG000001,510104,完好,104.0801,30.6520,2026-10-05 09:10
JG000002,510105,破损,104.0600,30.6700,2026-10-05 10:20
JG00003,510106,缺失,104.0500,30.7000,2026-10-05 11:30
JG000004,510107,完好,104.0400,30.6400,2026-10-05 12:40
"""


def test_new_feed_is_ingested_from_its_contract_alone(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(Path("contracts"), contracts)
    (contracts / "feeds" / "urban_management").mkdir()
    (contracts / "feeds" / "urban_management" / "manhole_covers.odcs.yaml").write_text(
        CONTRACT, encoding="utf-8"
    )
    data = tmp_path / "data"
    landing = data / "landing" / "urban_management" / "manhole_covers"
    landing.mkdir(parents=True)
    (landing / "jg_20261005.csv").write_text(DELIVERY, encoding="utf-8")

    env = {**os.environ, "SAFECITY_CONTRACTS_DIR": str(contracts), "HOME": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The new department is in the run's summary, with its rows: 4 landed, 3 to bronze, 1 quarantined.
    assert re.search(r"\n  urban_management +1 +4 +3  1 \(25\.0%\)\n", result.stdout), result.stdout

    bronze = pl.read_parquet(
        data
        / "lake"
        / "bronze"
        / "urban_management"
        / "manhole_covers"
        / "date=2026-10-05"
        / "part-0.parquet"
    )
    quarantine = pl.read_parquet(
        data
        / "lake"
        / "quarantine"
        / "urban_management"
        / "manhole_covers"
        / "date=2026-10-05"
        / "part-0.parquet"
    )
    assert sorted(bronze["cover_id"]) == ["JG000001", "JG000002", "JG000004"]
    assert quarantine["rule"].to_list() == ["pattern_mismatch"]
    assert "JG00003" in quarantine["original"][0]
    assert bronze.schema["patrolled_at"] == pl.Datetime("us", "Asia/Shanghai")
    # Delivered in GCJ-02, stored in WGS-84: a few hundred metres away from the delivered point.
    assert (
        0.001
        < abs(bronze.filter(pl.col("cover_id") == "JG000001")["longitude"][0] - 104.0801)
        < 0.01
    )

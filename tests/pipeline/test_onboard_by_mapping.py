"""Issue 16, done when: two feeds the code has never seen, from departments the sample city does
not have, reach the warehouse, its bridges and a department's extract by their contracts and a
policy grant alone (tests/fixtures/onboarding/, see tests/fixtures/README.md).

- `urban_management/case_reports` (城管案件, CSV): the organisation reported by its credit code
  and name, at a point of a township; events of a new type in `social_security`.
- `gas_utility/pipeline_incidents` (燃气管网事故, JSON lines): the organisation responsible by
  its name only, a pipeline segment (a new object kind), an address in a county; events of a
  new type graded by casualties.

The onboarding engineer's steps, on copies of the repository's contracts/ and dbt_project/:
add the two contracts, the vocabulary with the new types and kind, the policy with a grant to
urban management; `safecity contract check`; deliver the files; `safecity contract generate`;
`safecity run`. The files are written from the tiny city's own register of enterprises (their
credit codes, names, addresses, points, townships and counties), so linkage has real
organisations and places to find. One test: the run on top of the built city costs minutes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import yaml

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib import settings
from pipelines.lib.contracts import FeedContract, contracts_dir, load_feed_contracts
from pipelines.lib.contracts.model import Field
from pipelines.lib.data_dir import DataDir
from pipelines.lib.landing.pending import landed_days
from tests.conftest import safecity, safecity_run

FIXTURE = Path(__file__).parents[1] / "fixtures" / "onboarding" / "contracts"
CASES = ("urban_management", "case_reports")
GAS = ("gas_utility", "pipeline_incidents")
GRANTED = "urban_management"  # the fixture policy grants it its own events; gas_utility nothing
CITY_ZONE = timezone(timedelta(hours=8))  # the tiny city is Chengdu (Asia/Shanghai, no DST)
# dbt build artefacts, not the project: the repository's own `make install` rewrites them.
BUILD_ARTEFACTS = {"target", "logs", "dbt_packages", ".user.yml"}


@dataclass(frozen=True)
class Enterprise:
    """An organisation of the tiny city's register and its premises, as bronze holds them."""

    uscc: str
    name: str
    address: str
    county_code: str
    township_code: str
    longitude: float
    latitude: float
    organisation_key: str  # what the register's mention resolved to
    premises_key: str  # the place of its premises


def test_two_feeds_onboarded_by_contract_alone_reach_the_warehouse_bridges_and_the_granted_extract(
    built_city, tmp_path, monkeypatch
):
    repository = {folder: _fingerprint(folder) for folder in _repository_folders()}
    _assert_fixture_only_adds(contracts_dir())

    # The onboarding engineer's copies: contracts plus the fixture, and the dbt project.
    contracts = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), contracts)
    shutil.copytree(FIXTURE, contracts, dirs_exist_ok=True)
    dbt_project = tmp_path / "dbt_project"
    shutil.copytree(
        settings.dbt_project_dir(), dbt_project, ignore=shutil.ignore_patterns(*BUILD_ARTEFACTS)
    )
    monkeypatch.setenv(settings.CONTRACTS_DIR.name, str(contracts))
    monkeypatch.setenv(settings.DBT_PROJECT_DIR.name, str(dbt_project))

    check = safecity(tmp_path, "contract", "check")
    assert check.returncode == 0 and "no problems" in check.stdout, check.stdout + check.stderr
    feeds = load_feed_contracts(contracts)
    assert not feeds.problems, feeds.problems
    assert {CASES, GAS} <= set(feeds) and {CASES, GAS}.isdisjoint(FEED_CONTRACTS)

    root = tmp_path / "city"
    shutil.copytree(built_city, root, ignore=shutil.ignore_patterns("dagster_home"))
    data = DataDir(root, lake_root=None, extracts_root=None)
    days = landed_days(data, FEED_CONTRACTS.values())
    register = _register(data)
    cases = _case_reports(register[:6], days)
    gas = _pipeline_incidents(register[6:9], days)
    _deliver(data, feeds[CASES], cases, days, "reported_at")
    _deliver(data, feeds[GAS], gas, days, "occurred_at")

    generate = safecity(tmp_path, "contract", "generate")
    assert generate.returncode == 0, (
        "`safecity contract generate` (issue 16: the dbt project generated from the contracts) "
        f"failed:\n{generate.stdout}{generate.stderr}"
    )
    assert not _changed(repository), "the generator wrote into the repository's files"
    run = safecity_run(root, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr

    # Bronze: every delivered row, none quarantined.
    for (department, feed), rows in ((CASES, cases), (GAS, gas)):
        bronze = pl.read_parquet(data.bronze_feed(department, feed) / "date=*" / "*.parquet")
        assert bronze.height == len(rows), (department, feed)
        quarantine = data.quarantine / department / feed / "date=*" / "*.parquet"
        assert pl.read_parquet(quarantine).height == 0, (department, feed)

    with duckdb.connect(str(data.analytics), read_only=True) as analytics:
        events = _events(analytics, cases, gas)
        _assert_events(events, cases, gas)
        _assert_organisations_linked(analytics, cases, gas)
        _assert_objects(analytics, gas)
        _assert_places(analytics, events, cases, gas)

    # The granted department receives exactly its own events; the other nothing; a department
    # granted every event (emergency management, the repository's policy) receives the new ones.
    extract = _extract_table(data, GRANTED, "fct_event")
    assert sorted(extract["source_record_id"]) == sorted(_record_ids("case_reports", cases))
    assert (extract["event_type"] == "urban_management_case").all()
    organisations = _extract_table(data, GRANTED, "dim_organisation")
    assert {e.organisation_key for e in register[:6]} <= set(organisations["organisation_key"])
    assert not (data.extracts / "gas_utility").exists()
    everything = _extract_table(data, "emergency_management", "fct_event")
    assert set(_record_ids("pipeline_incidents", gas)) <= set(everything["source_record_id"])

    assert not _changed(repository), "onboarding changed the repository's contracts or dbt project"


# --- the feeds' deliveries ------------------------------------------------------------------


def _register(data: DataDir) -> list[Enterprise]:
    """Enterprises of the register whose name no other organisation of the city bears (so that
    a name alone can find them), with their premises as the register delivered them."""
    bronze = pl.read_parquet(
        data.bronze_feed("emergency_management", "enterprises") / "date=*" / "*.parquet"
    ).unique("uscc", keep="last")
    with duckdb.connect(str(data.analytics), read_only=True) as analytics:
        resolved = analytics.sql(
            """
            select o.uscc, o.name, o.organisation_key, p.entity_key as premises_key
            from xref_source_record as x
            join dim_organisation as o on o.organisation_key = x.entity_key
            join xref_source_record as p
              on p.source_record_id = x.source_record_id and p.entity_kind = 'place' and p.role = 'premises'
            where x.source_feed = 'enterprises' and x.entity_kind = 'organisation'
              and o.name in (select name from dim_organisation group by name having count(*) = 1)
            """
        ).pl()
    joined = bronze.join(resolved, on="uscc").filter(pl.col("enterprise_name") == pl.col("name"))
    enterprises = [
        Enterprise(
            uscc=row["uscc"],
            name=row["name"],
            address=row["address"],
            county_code=row["county_code"],
            township_code=row["township_code"],
            longitude=row["longitude"],
            latitude=row["latitude"],
            organisation_key=row["organisation_key"],
            premises_key=row["premises_key"],
        )
        for row in joined.sort("uscc").iter_rows(named=True)
        if row["address"]
    ]
    assert len(enterprises) >= 9, "the tiny city's register has enterprises of unique names"
    return enterprises


def _case_reports(enterprises: list[Enterprise], days: list[date]) -> list[dict[str, Any]]:
    """One case a day, two on the first; each organisation reported at its premises."""
    types = ["占道经营", "违法建设", "乱堆乱放", "违规户外广告"]
    statuses = ["已立案", "处置中", "已结案"]
    slots = [(day, n) for day in days for n in range(2 if day == days[0] else 1)]
    cases = []
    for i, (day, n) in enumerate(slots):
        enterprise = enterprises[i % len(enterprises)]
        cases.append(
            {
                "case_id": f"CG{day:%Y%m%d}{n + 1:04d}",
                "reported_at": datetime(day.year, day.month, day.day, 9 + n, 30, tzinfo=CITY_ZONE),
                "uscc": enterprise.uscc,
                "unit_name": enterprise.name,
                "case_type": types[i % len(types)],
                "status": statuses[i % len(statuses)],
                "address": enterprise.address,
                "county_code": enterprise.county_code,
                "township_code": enterprise.township_code,
                "longitude": enterprise.longitude,
                "latitude": enterprise.latitude,
                "enterprise": enterprise,
            }
        )
    return cases


def _pipeline_incidents(enterprises: list[Enterprise], days: list[date]) -> list[dict[str, Any]]:
    """Four incidents on three segments (the first and the last on one), each at the premises of
    the organisation responsible, named as the utility writes it: once with a shorter legal form."""
    deaths = [0, 1, 3, 0]
    segments = ["GW51010001", "GW51010002", "GW51010003", "GW51010001"]
    incidents = []
    for i, day in enumerate(days[1:5]):
        enterprise = enterprises[i % len(enterprises)]
        name = enterprise.name
        if i == 1:  # 有限公司 and 公司 are one legal form to linkage (normalise_org_name)
            name = name.replace("股份有限公司", "公司").replace("有限责任公司", "公司")
            name = name.replace("有限公司", "公司")
        incidents.append(
            {
                "incident_id": f"RQ{day:%Y%m%d}{i + 1:04d}",
                "occurred_at": datetime(day.year, day.month, day.day, 14, 5 * i, tzinfo=CITY_ZONE),
                "responsible_party": name,
                "segment_code": segments[i],
                "incident_type": ["泄漏", "第三方破坏", "爆燃", "泄漏"][i],
                "cause": None if i == 0 else "施工挖断管道",
                "deaths": deaths[i],
                "injuries": 2 * i,
                "address": enterprise.address,
                "county_code": enterprise.county_code,
                "enterprise": enterprise,
            }
        )
    return incidents


def _deliver(
    data: DataDir,
    contract: FeedContract,
    rows: list[dict[str, Any]],
    days: list[date],
    time_column: str,
) -> None:
    """One file a day in the contract's format and column names, empty on a quiet day."""
    folder = data.landing_feed(contract.department, contract.feed)
    folder.mkdir(parents=True)
    for day in days:
        records = [
            {field.source: _raw(field, row[field.name]) for field in contract.fields}
            for row in rows
            if row[time_column].date() == day
        ]
        path = folder / contract.landing.filename(day)
        if contract.landing.format == "csv":
            text = io.StringIO()
            writer = csv.DictWriter(text, [field.source for field in contract.fields])
            writer.writeheader()
            writer.writerows(records)
            path.write_bytes(text.getvalue().encode(contract.landing.encoding))
        else:
            lines = [json.dumps(record, ensure_ascii=False) + "\n" for record in records]
            path.write_text("".join(lines), encoding="utf-8")


def _raw(field: Field, value: Any) -> Any:
    """A value as the department writes it: a time in the contract's first source format."""
    if isinstance(value, datetime):
        return value.strftime(field.source_formats[0])
    return value


def _record_ids(feed: str, rows: list[dict[str, Any]]) -> list[str]:
    key = "case_id" if feed == "case_reports" else "incident_id"
    return [f"{feed}:{row[key]}" for row in rows]


# --- the warehouse --------------------------------------------------------------------------


def _events(
    analytics: duckdb.DuckDBPyConnection, cases: list[dict[str, Any]], gas: list[dict[str, Any]]
) -> pl.DataFrame:
    ids = _record_ids("case_reports", cases) + _record_ids("pipeline_incidents", gas)
    return analytics.execute(
        "select * from fct_event where source_record_id in (select unnest($ids))", {"ids": ids}
    ).pl()


def _assert_events(
    events: pl.DataFrame,
    cases: list[dict[str, Any]],
    gas: list[dict[str, Any]],
) -> None:
    by_record = {row["source_record_id"]: row for row in events.iter_rows(named=True)}
    assert sorted(by_record) == sorted(
        _record_ids("case_reports", cases) + _record_ids("pipeline_incidents", gas)
    ), "every record of the two feeds is one event"
    for record_id, case in zip(_record_ids("case_reports", cases), cases, strict=True):
        event = by_record[record_id]
        assert (event["event_type"], event["category"]) == (
            "urban_management_case",
            "social_security",
        )
        assert (event["source_department"], event["source_feed"]) == CASES
        assert event["occurred_at"] == case["reported_at"]
        assert event["description"] == f"{case['case_type']}: {case['status']}"
        assert event["county_code"] == case["county_code"]
    for record_id, incident in zip(_record_ids("pipeline_incidents", gas), gas, strict=True):
        event = by_record[record_id]
        assert (event["event_type"], event["category"]) == (
            "gas_pipeline_incident",
            "accident_disaster",
        )
        assert (event["source_department"], event["source_feed"]) == GAS
        assert event["occurred_at"] == incident["occurred_at"]
        assert (event["deaths"], event["injuries"]) == (incident["deaths"], incident["injuries"])
        assert event["severity"] == _casualty_grade(incident["deaths"])
        assert event["description"] == f"{incident['incident_type']}: {incident['cause'] or ''}"
        assert event["county_code"] == incident["county_code"]


def _casualty_grade(deaths: int) -> str:
    """The national grade of an accident by its deaths (生产安全事故报告和调查处理条例, art. 3)."""
    return "I" if deaths >= 30 else "II" if deaths >= 10 else "III" if deaths >= 3 else "IV"


def _assert_organisations_linked(
    analytics: duckdb.DuckDBPyConnection, cases: list[dict[str, Any]], gas: list[dict[str, Any]]
) -> None:
    """The reported unit is the register's organisation of its credit code; the party responsible
    for a gas incident the register's organisation of its name: the same organisation_key, in
    xref_source_record and in bridge_event_organisation, and no organisation of their own."""
    expected = {
        (record_id, "reported_unit", row["enterprise"].organisation_key)
        for record_id, row in zip(_record_ids("case_reports", cases), cases, strict=True)
    } | {
        (record_id, "responsible_party", row["enterprise"].organisation_key)
        for record_id, row in zip(_record_ids("pipeline_incidents", gas), gas, strict=True)
    }
    resolved = analytics.execute(
        """
        select source_record_id, role, entity_key from xref_source_record
        where entity_kind = 'organisation' and source_department in ($cases, $gas)
        """,
        {"cases": CASES[0], "gas": GAS[0]},
    ).fetchall()
    assert set(resolved) == expected
    bridged = analytics.execute(
        """
        select e.source_record_id, b.role, b.organisation_key
        from bridge_event_organisation as b join fct_event as e using (event_key)
        where e.source_department in ($cases, $gas)
        """,
        {"cases": CASES[0], "gas": GAS[0]},
    ).fetchall()
    assert set(bridged) == expected


def _assert_objects(analytics: duckdb.DuckDBPyConnection, gas: list[dict[str, Any]]) -> None:
    """Each segment is one object of the new kind, bridged to every incident on it."""
    objects = analytics.sql(
        "select object_key, code from dim_object where kind = 'gas_pipeline'"
    ).pl()
    assert sorted(objects["code"]) == sorted({row["segment_code"] for row in gas})
    key_of = dict(zip(objects["code"], objects["object_key"], strict=True))
    bridged = analytics.execute(
        """
        select e.source_record_id, b.role, b.object_key
        from bridge_event_object as b join fct_event as e using (event_key)
        where e.source_department = $gas
        """,
        {"gas": GAS[0]},
    ).fetchall()
    assert set(bridged) == {
        (record_id, "pipeline_segment", key_of[row["segment_code"]])
        for record_id, row in zip(_record_ids("pipeline_incidents", gas), gas, strict=True)
    }


def _assert_places(
    analytics: duckdb.DuckDBPyConnection,
    events: pl.DataFrame,
    cases: list[dict[str, Any]],
    gas: list[dict[str, Any]],
) -> None:
    """Every event in the township of the premises it happened at: a case at the register's own
    place (the same point), an incident (an address in a county) in the register's township."""
    township_of = dict(analytics.sql("select place_key, township_code from dim_place").fetchall())
    at = dict(
        zip(
            _record_ids("case_reports", cases) + _record_ids("pipeline_incidents", gas),
            [row["enterprise"] for row in cases + gas],
            strict=True,
        )
    )
    for event in events.iter_rows(named=True):
        record_id, enterprise = event["source_record_id"], at[event["source_record_id"]]
        assert event["place_key"] is not None, record_id
        assert event["township_code"] == enterprise.township_code, record_id
        assert township_of[event["place_key"]] == enterprise.township_code, record_id
        if record_id.startswith("case_reports:"):
            assert event["place_key"] == enterprise.premises_key, record_id


def _extract_table(data: DataDir, department: str, table: str) -> pl.DataFrame:
    """A table of a department's published extract (events are by month)."""
    folder = data.extract(department) / table
    files = sorted(folder.rglob("*.parquet"))
    assert files, f"{folder}: nothing published"
    return pl.read_parquet(files, hive_partitioning=False)


# --- the repository is left as it was --------------------------------------------------------


def _repository_folders() -> list[Path]:
    return [contracts_dir().resolve(), settings.dbt_project_dir().resolve()]


def _fingerprint(folder: Path) -> dict[str, str]:
    """Every file of a folder and its SHA-256, dbt's build artefacts left out."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not BUILD_ARTEFACTS & set(path.relative_to(folder).parts)
    }


def _changed(before: dict[Path, dict[str, str]]) -> list[str]:
    """The files of the repository's folders added, removed or changed since `before`."""
    changed = []
    for folder, files in before.items():
        now = _fingerprint(folder)
        changed += [f"{folder.name}/{name}" for name in sorted(set(files) ^ set(now))]
        changed += [
            f"{folder.name}/{name}"
            for name in sorted(set(files) & set(now))
            if files[name] != now[name]
        ]
    return changed


def _assert_fixture_only_adds(repository_contracts: Path) -> None:
    """The fixture's vocabulary and policy are the repository's with the onboarding added: every
    entry of the repository's is there unchanged (else copy the repository's change into the
    fixture: tests/fixtures/onboarding/contracts/)."""
    for name, sections in (
        ("vocabulary.yaml", ("eventTypes", "objectKinds", "organisationTypes", "departments")),
        ("sharing/policy.yaml", ("departments",)),
    ):
        repository = yaml.safe_load((repository_contracts / name).read_text(encoding="utf-8"))
        fixture = yaml.safe_load((FIXTURE / name).read_text(encoding="utf-8"))
        assert set(fixture) == set(repository), name
        for section in sections:
            stale = {
                entry
                for entry, value in repository[section].items()
                if fixture[section].get(entry) != value
            }
            assert not stale, (
                f"{FIXTURE / name}: {section} differs from the repository's for {sorted(stale)}"
            )

"""The city profile: the repository's, which file applies, every problem with its line, dbt's vars."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines import cli
from pipelines.lib.city_profile import (
    Bounds,
    CityProfileError,
    city_profile,
    city_profile_path,
    load_city_profile,
)
from pipelines.lib.settings import CITY_PROFILE, CONTRACTS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_PROFILE = REPO_ROOT / "contracts" / "city.yaml"


def test_the_repository_profile_is_chengdu() -> None:
    profile = load_city_profile(REPOSITORY_PROFILE)
    assert (profile.code, profile.name, profile.short_name) == ("5101", "成都市", "成都")
    assert profile.timezone == "Asia/Shanghai"
    assert profile.first_delivery_day == date(2026, 1, 1)
    assert profile.bounds == Bounds(102.95, 30.05, 104.95, 31.45)
    assert (profile.province_name, profile.address_prefix) == ("四川省", "四川省成都市")
    assert profile.name_prefixes == ("四川省", "成都市", "四川", "成都")
    # Counties and townships come from the reference divisions, not the file.
    assert profile.counties().height == 20 and profile.townships().height == 261


def test_dbt_project_holds_no_city(tmp_path: Path) -> None:
    """The profile is the only place of the city: dbt gets it from each run, never a default."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text("utf-8"))
    city_vars = load_city_profile(REPOSITORY_PROFILE).dbt_vars()
    assert not set(city_vars) & set(project["vars"])


@pytest.mark.parametrize("code", ["5101", "3303"])
def test_safecity_city_prints_the_data_directorys_profile_as_dbt_vars(
    code: str, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CITY_PROFILE.name, raising=False)
    monkeypatch.setenv(CONTRACTS_DIR.name, str(REPO_ROOT / "contracts"))
    repository = load_city_profile(REPOSITORY_PROFILE)
    profile = (
        repository
        if code == "5101"
        else replace(
            repository,
            code="3303",
            name="温州市",
            short_name="温州",
            bounds=Bounds(119.6, 27.0, 121.3, 28.65),
        )
    )
    (tmp_path / "city.yaml").write_text(profile.to_yaml("a sample city"), encoding="utf-8")

    assert cli.main(["city", "--data-dir", str(tmp_path), "--dbt-vars"]) == 0
    assert json.loads(capsys.readouterr().out) == profile.dbt_vars()
    assert cli.main(["city", "--data-dir", str(tmp_path)]) == 0
    first, extent, divisions = capsys.readouterr().out.splitlines()
    assert first == f"{profile.name} ({code}, Asia/Shanghai) from {tmp_path / 'city.yaml'}"
    assert f"lon {profile.bounds.lon_min} to {profile.bounds.lon_max}" in extent
    assert (
        divisions == f"{profile.counties().height} counties, {profile.townships().height} townships"
    )


def test_a_profile_written_reads_back_equal(tmp_path: Path) -> None:
    profile = load_city_profile(REPOSITORY_PROFILE)
    path = tmp_path / "city.yaml"
    path.write_text(profile.to_yaml("a comment\nover two lines"), encoding="utf-8")
    assert load_city_profile(path) == profile
    assert path.read_text("utf-8").startswith("# a comment\n# over two lines\n")


def test_the_data_directory_s_profile_applies_before_the_repository_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CITY_PROFILE.name, raising=False)
    monkeypatch.setenv(CONTRACTS_DIR.name, str(REPO_ROOT / "contracts"))
    data = tmp_path / "data"
    data.mkdir()
    assert city_profile_path(data) == REPOSITORY_PROFILE
    wenzhou = (
        REPOSITORY_PROFILE.read_text("utf-8")
        .replace('code: "5101"', 'code: "3303"')
        .replace("name: 成都市", "name: 温州市")
        .replace("short_name: 成都", "short_name: 温州")
    )
    (data / "city.yaml").write_text(wenzhou, encoding="utf-8")
    assert city_profile(data).name == "温州市"
    # $SAFECITY_CITY_PROFILE wins over both.
    monkeypatch.setenv(CITY_PROFILE.name, str(REPOSITORY_PROFILE))
    assert city_profile(data).name == "成都市"


def test_a_missing_profile_says_where_it_looked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(CITY_PROFILE.name, str(tmp_path / "nowhere.yaml"))
    with pytest.raises(CityProfileError, match=r"nowhere\.yaml:1: .*no city profile here"):
        city_profile(tmp_path)


BROKEN = """\
code: 3303
name: 温州市
short_name: 州
timezone: Asia/Chengdu
grid_cell_degrees: 0
first_delivery_day: 2026-13-01
bounds: {lon_min: 121.3, lat_min: 27.0, lon_max: 119.6, lat_max: 95, height: 3}
population: 9600000
"""


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(CityProfileError) as raised:
        load_city_profile(path, root=tmp_path)
    messages = raised.value.messages
    expected = [
        "city.yaml:1: code: expected 4 digits in quotes",
        "city.yaml:3: short_name: 州 does not shorten",  # no code, so the name is not checked
        "city.yaml:4: timezone: unknown time zone 'Asia/Chengdu'",
        "city.yaml:5: grid_cell_degrees: must be more than 0",
        "city.yaml:6: first_delivery_day: expected a day as YYYY-MM-DD",
        "city.yaml:7: bounds.height: unknown key",
        "city.yaml:7: bounds.lat_max: 95.0 is outside -90..90",
        "city.yaml:8: population: unknown key",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert len(messages) == len(expected), messages


def test_the_name_and_extent_must_agree_with_the_reference(tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text(
        'code: "3303"\nname: 成都市\ntimezone: Asia/Shanghai\ngrid_cell_degrees: 0.01\n'
        'first_delivery_day: "2026-01-01"\nbounds: {lon_min: 121, lat_min: 27, lon_max: 120, lat_max: 28}\n',
        encoding="utf-8",
    )
    with pytest.raises(CityProfileError) as raised:
        load_city_profile(path, root=tmp_path)
    assert raised.value.messages == (
        "city.yaml:2: name: city 3303 is 温州市 in the reference divisions, not 成都市",
        "city.yaml:6: bounds.lon_max: must be more than lon_min (121.0)",
    )


def test_missing_keys_and_unknown_cities(tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text('code: "4190"\nname: 济源市\n', encoding="utf-8")
    with pytest.raises(CityProfileError) as raised:
        load_city_profile(path, root=tmp_path)
    text = str(raised.value)
    # 4190 is the province's directly governed counties, no prefecture-level city.
    assert "city.yaml:1: code: 4190 is no prefecture-level city" in text
    for key in ("timezone", "grid_cell_degrees", "first_delivery_day", "bounds"):
        assert f"city.yaml:1: {key}: missing" in text


def test_a_municipality_is_its_province() -> None:
    profile = load_city_profile(REPOSITORY_PROFILE)
    from dataclasses import replace

    beijing = replace(profile, code="1101", name="北京市", short_name="北京")
    assert beijing.is_municipality
    assert beijing.address_prefix == "北京市"
    assert beijing.name_prefixes == ("北京市", "北京")

"""The sample city on other real cities: the data files, a city laid out in its extent, and what
the generator refuses, each with a clear message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import cli
from pipelines.lib import admin_divisions
from pipelines.lib.city_profile import Bounds, load_city_profile
from pipelines.lib.standards.identifiers import is_valid_identity_number, is_valid_uscc
from pipelines.sample_city.city_map import CityMapError, city_map, parse_bounds
from pipelines.sample_city.generate import generate_city

REPO_ROOT = Path(__file__).resolve().parents[2]
CITIES_WITH_FILES = ("5101", "3303", "4403")
FIRST_DAY = date(2026, 10, 1)


@pytest.mark.parametrize("code", CITIES_WITH_FILES)
def test_each_data_file_is_the_city_of_the_reference(code: str) -> None:
    city = city_map(code, None, FIRST_DAY)
    reference = admin_divisions.city_counties(code)
    assert [c.code for c in city.counties] == reference["code"].to_list()
    assert [c.name for c in city.counties] == reference["name"].to_list()
    assert all(city.profile.bounds.contains(c.lon, c.lat) for c in city.counties)
    assert city.profile.name == admin_divisions.city_name(code)
    assert city.source == f"pipelines/sample_city/cities/{code}.yaml"


def test_chengdu_s_file_has_the_repository_profile_s_extent() -> None:
    repository = load_city_profile(REPO_ROOT / "contracts" / "city.yaml")
    chengdu = city_map("5101", None, FIRST_DAY).profile
    assert chengdu.bounds == repository.bounds
    assert chengdu == load_city_profile(REPO_ROOT / "contracts" / "city.yaml").__class__(
        **{**repository.__dict__, "first_delivery_day": FIRST_DAY}
    )


def test_nothing_of_chengdu_is_in_the_generator_outside_its_data_file() -> None:
    chengdu = {"成都", "四川", "川A", "5101", "028", "蓉城", "锦江", "104.0", "30.6"}
    for path in (REPO_ROOT / "pipelines" / "sample_city").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml") and path.name != "5101.yaml":
            text = path.read_text(encoding="utf-8")
            found = [word for word in chengdu if word in text]
            assert found == [], f"{path.relative_to(REPO_ROOT)}: {found}"


def test_a_city_without_a_data_file_needs_its_extent() -> None:
    with pytest.raises(CityMapError, match=r"三亚市 \(4602\) has no data file.*--bounds lon_min"):
        city_map("4602", None, FIRST_DAY)
    with pytest.raises(CityMapError, match="leave out --bounds"):
        city_map("3303", Bounds(119.6, 27.0, 121.3, 28.65), FIRST_DAY)
    with pytest.raises(CityMapError, match="4190 is no prefecture-level city"):
        city_map("4190", Bounds(112.0, 35.0, 113.0, 35.5), FIRST_DAY)
    with pytest.raises(CityMapError, match="expected four numbers"):
        parse_bounds("109.3,18.1,109.8")
    with pytest.raises(CityMapError, match="lon_min < lon_max"):
        parse_bounds("109.8,18.1,109.3,18.4")


def test_the_command_says_what_is_missing(tmp_path: Path, capsys) -> None:
    assert cli.main(["generate", "--scale", "tiny", "--city", "4602", "--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: 三亚市 (4602) has no data file") and "--bounds" in error
    assert not (tmp_path / "landing").exists()


def test_a_city_with_few_townships_laid_out_in_its_extent(tmp_path: Path) -> None:
    """三亚市: 4 districts with one township each. Everything is its own: codes, names, points."""
    bounds = Bounds(109.3, 18.1, 109.8, 18.4)
    rows = generate_city(tmp_path, scale="tiny", seed=3, days=2, city="4602", bounds=bounds)
    assert sum(rows.values()) > 0
    profile = load_city_profile(tmp_path / "city.yaml")
    assert (profile.code, profile.name, profile.bounds) == ("4602", "三亚市", bounds)
    assert profile.first_delivery_day == FIRST_DAY
    assert "--bounds 109.3,18.1,109.8,18.4" in (tmp_path / "city.yaml").read_text("utf-8")
    counties = set(admin_divisions.city_counties("4602")["code"])
    places = pl.read_parquet(tmp_path / "ground_truth" / "places.parquet")
    assert set(places["county_code"]) <= counties
    assert places["standard_address"].str.starts_with("海南省三亚市").all()
    assert places["lon"].is_between(bounds.lon_min, bounds.lon_max).all()
    assert places["lat"].is_between(bounds.lat_min, bounds.lat_max).all()
    persons = pl.read_parquet(tmp_path / "ground_truth" / "persons.parquet")
    assert is_valid_identity_number(persons["id_number"].to_numpy()).all()
    assert (persons["id_number"].str.slice(0, 6).is_in(list(counties))).mean() > 0.6
    organisations = pl.read_parquet(tmp_path / "ground_truth" / "organisations.parquet")
    assert is_valid_uscc(organisations["uscc"].to_numpy()).all()
    assert organisations["uscc"].str.slice(2, 6).is_in(list(counties)).all()


def test_a_municipality_and_shenzhen(tmp_path: Path) -> None:
    beijing = tmp_path / "beijing"
    generate_city(
        beijing, scale="tiny", seed=5, days=2, city="1101", bounds=Bounds(115.4, 39.4, 117.5, 41.1)
    )
    places = pl.read_parquet(beijing / "ground_truth" / "places.parquet")
    assert places["standard_address"].str.starts_with("北京市").all()
    assert not places["standard_address"].str.starts_with("北京市北京市").any()
    shenzhen = tmp_path / "shenzhen"
    generate_city(shenzhen, scale="tiny", seed=5, days=2, city="4403")
    towns = pl.read_parquet(shenzhen / "ground_truth" / "places.parquet")["township_code"]
    assert towns.str.starts_with("4403").all()
    plates = pl.read_parquet(shenzhen / "ground_truth" / "objects.parquet").filter(
        pl.col("kind") == "vehicle"
    )["code"]
    assert plates.str.starts_with("粤B").all()

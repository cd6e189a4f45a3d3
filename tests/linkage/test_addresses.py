"""Address standardisation: the many ways clerks write one address give one standard address."""

from dataclasses import replace
from pathlib import Path

import polars as pl

from pipelines.lib.city_profile import load_city_profile
from pipelines.lib.standards.addresses import chinese_number, standardise_addresses

CHENGDU = load_city_profile(Path(__file__).resolve().parents[2] / "contracts" / "city.yaml")
WENZHOU = replace(CHENGDU, code="3303", name="温州市", short_name="温州")
BEIJING = replace(CHENGDU, code="1101", name="北京市", short_name="北京")


def test_chinese_numerals():
    assert [
        chinese_number(t) for t in ["二百六十六", "三百零五", "十二", "一百", "九", "266", "路"]
    ] == [266, 305, 12, 100, 9, 266, None]


def test_variants_of_one_address_standardise_alike():
    variants = [
        "四川省成都市新都区新都街道红牌楼街202号",
        "成都市新都区红牌楼街202号",
        "新都区红牌楼街二百零二号",
        "成都红牌楼街２０２号",  # no county: the record's county code says it
        "成都市新都区 红牌楼街 202号",
    ]
    frame = standardise_addresses(
        pl.DataFrame({"address": variants, "county_code": ["510114"] * len(variants)}), CHENGDU
    )
    assert frame["road"].unique().to_list() == ["红牌楼街"]
    assert frame["house_number"].unique().to_list() == [202]
    assert frame["standard_county_code"].unique().to_list() == ["510114"]
    assert frame["standard_address"][0].startswith(
        "四川省成都市新都区新都街道"
    )  # the township, where named


def test_the_city_and_its_counties_come_from_the_profile():
    variants = ["浙江省温州市鹿城区五马街道解放街18号", "温州鹿城区解放街18号", "温州解放街十八号"]
    frame = standardise_addresses(
        pl.DataFrame({"address": variants, "county_code": ["330302"] * 3}), WENZHOU
    )
    assert frame["standard_address"].to_list() == [
        "浙江省温州市鹿城区五马街道解放街18号",
        "浙江省温州市鹿城区解放街18号",
        "浙江省温州市鹿城区解放街18号",
    ]
    # Another city's county is no county of this one: the address stays unstandardised.
    other = standardise_addresses(
        pl.DataFrame({"address": ["成都市新都区红牌楼街202号"], "county_code": [None]}), WENZHOU
    )
    assert other["standard_address"].to_list() == [None]


def test_a_municipality_is_named_once():
    frame = standardise_addresses(
        pl.DataFrame({"address": ["北京市东城区景山街道景山前街4号"], "county_code": ["110101"]}),
        BEIJING,
    )
    assert frame["standard_address"].to_list() == ["北京市东城区景山街道景山前街4号"]


def test_unparseable_addresses_are_left_unstandardised():
    frame = standardise_addresses(
        pl.DataFrame(
            {
                "address": ["未知", None, "成都市新都区红牌楼街"],
                "county_code": ["510114", "510114", None],
            }
        ),
        CHENGDU,
    )
    assert frame["standard_address"].null_count() == 3

"""Address standardisation: the many ways clerks write one address give one standard address."""

import polars as pl

from pipelines.lib.standards.addresses import chinese_number, standardise_addresses


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
        pl.DataFrame({"address": variants, "county_code": ["510114"] * len(variants)})
    )
    assert frame["road"].unique().to_list() == ["红牌楼街"]
    assert frame["house_number"].unique().to_list() == [202]
    assert frame["standard_county_code"].unique().to_list() == ["510114"]
    assert frame["standard_address"][0].startswith(
        "四川省成都市新都区新都街道"
    )  # the township, where named


def test_unparseable_addresses_are_left_unstandardised():
    frame = standardise_addresses(
        pl.DataFrame(
            {
                "address": ["未知", None, "成都市新都区红牌楼街"],
                "county_code": ["510114", "510114", None],
            }
        )
    )
    assert frame["standard_address"].null_count() == 3

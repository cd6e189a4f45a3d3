"""Organisation records before scoring: which mentions are one record by what they carry."""

from __future__ import annotations

import polars as pl

from pipelines.lib.linkage.organisations import _identifier_groups

# A station's register row (name, county, place), its vehicle register and a dispatch log that
# name only the station, and a shop of the same name in another county.
MENTIONS = pl.DataFrame(
    {
        "mention_id": ["register", "vehicle", "dispatch", "shop", "shop_again"],
        "uscc": [None, None, None, None, None],
        "licence_no": [None, None, None, None, None],
        "permit_no": [None, None, None, None, None],
        "name": ["草市街站", "草市街站", "草市街站", "草市街站", "草市街站"],
        "county_code": ["510105", None, None, "510107", "510107"],
        "place_key": ["PL:1", None, None, "PL:9", "PL:9"],
        "organisation_type": ["fire_station", "fire_station", "fire_station", None, None],
    },
    schema_overrides={c: pl.String for c in ("uscc", "licence_no", "permit_no")},
)


def record_of(unique_name_types: list[str]) -> dict[str, str]:
    groups = _identifier_groups(MENTIONS, unique_name_types)
    return dict(zip(groups["mention_id"], groups["record_id"], strict=True))


def test_a_name_unique_to_its_type_makes_the_mentions_of_a_station_one_record() -> None:
    record = record_of(["fire_station"])
    assert record["register"] == record["vehicle"] == record["dispatch"]
    # A shop of the same name is no station: its type says nothing, and its county differs.
    assert record["shop"] == record["shop_again"] != record["register"]


def test_without_the_vocabulary_saying_so_a_name_alone_joins_nothing_to_the_register() -> None:
    record = record_of([])
    # The two that give nothing but the name are one record; the register (county, place) is apart.
    assert record["vehicle"] == record["dispatch"] != record["register"]
    assert record["shop"] == record["shop_again"] != record["register"]

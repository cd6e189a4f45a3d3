"""Issue 6, done when: no full identity number, phone or person name where no grant allows it.

The sample city plants them: `ground_truth/persons.parquet` has every person's true name,
phone and identity number, and the feeds deliver them (drivers with full numbers and
phones to traffic police, legal representatives to emergency management and market
regulation). Every value of every file of every extract `safecity run` published is
scanned for them: Parquet cells decoded to text, CSV cells, the manifest; extracts in a
local folder and in S3.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.publish.policy import load_policy, policy_path
from pipelines.lib.storage import Location
from tests.publish.helpers import (
    IDENTITY_NUMBER,
    PHONE,
    parquet_table,
    text_outside_persons,
    text_values,
)

# The departments the repository's policy grants no personal data in clear.
WITHOUT_GRANT = sorted(
    department
    for department, grant in load_policy(
        policy_path(contracts_dir()), load_table_contracts(contracts_dir()), DEPARTMENTS
    ).departments.items()
    if grant.personal != "clear"
)


@pytest.fixture(scope="module")
def truth(built_city: Path) -> pl.DataFrame:
    persons = pl.read_parquet(DataDir(built_city).ground_truth / "persons.parquet")
    assert persons.height > 100 and persons["phone"].null_count() < persons.height
    return persons


@pytest.fixture(scope="module")
def values(extracts: Location) -> dict[str, list[str]]:
    """department -> every text value it received."""
    return {
        d.name: [v for _, v in text_values(d)]
        for d in sorted(extracts.iterdir())
        if not d.name.startswith(".")
    }


@pytest.fixture(scope="module")
def non_person_text(built_city: Path) -> set[str]:
    return text_outside_persons(DataDir(built_city).analytics)


def _windows(value: str, lengths: tuple[int, ...]) -> set[str]:
    return {value[i : i + n] for n in lengths for i in range(len(value) - n + 1)}


def test_no_full_identity_number_in_any_extract(values, truth) -> None:
    numbers = set(truth["id_number"].to_list())
    for department, texts in values.items():
        found = {m for text in texts for m in IDENTITY_NUMBER.findall(text)} & numbers
        assert not found, f"{department} received full identity numbers: {sorted(found)[:3]}"


@pytest.mark.parametrize("department", WITHOUT_GRANT)
def test_no_phone_or_name_without_a_personal_grant(
    values, truth, non_person_text, department
) -> None:
    texts = values[department]
    assert len(texts) > 1000  # a real extract was scanned
    phones = set(truth["phone"].drop_nulls().to_list())
    assert not ({m for text in texts for m in PHONE.findall(text)} & phones)

    names = set(truth["name"].to_list())
    assert not (set(texts) & names), "a whole cell is a person's name"
    lengths = tuple(sorted({len(n) for n in names}))
    containing = {text for text in texts if _windows(text, lengths) & names}
    assert containing <= non_person_text, sorted(containing - non_person_text)[:5]


def test_the_manifest_is_no_back_door(values, truth) -> None:
    # The manifest is scanned whole above; this makes sure it was among the values.
    for department, texts in values.items():
        assert any(
            text.startswith("{") and f'"department": "{department}"' in text for text in texts
        )


def test_masked_department_sees_masks_and_no_more(extracts, truth) -> None:
    people = parquet_table(extracts / "market_regulation", "dim_person").to_pylist()
    assert people
    assert all(re.fullmatch(r".\*", p["name"]) for p in people)
    assert all(
        p["phone"] is None or re.fullmatch(r"\d{3}\*{4}\d{4}|\**", p["phone"]) for p in people
    )
    assert all(
        p["id_number_masked"] is None and p["birth_date"] is None and p["sex"] is None
        for p in people
    )
    assert all(re.fullmatch(r"[0-9a-f]{64}", p["person_key"]) for p in people)


def test_the_granted_department_gets_its_persons_in_clear(built_city, extracts, truth) -> None:
    """Traffic police: every driver and victim of its accepted accident reports, by name and phone."""
    city = DataDir(built_city)
    links = pl.read_parquet(city.ground_truth / "links" / "traffic_police" / "**" / "*.parquet")
    records = pl.read_parquet(city.ground_truth / "records" / "traffic_police" / "**" / "*.parquet")
    accepted = records.filter(pl.col("invalid_rule").is_null()).select("file", "row_number")
    mine = (
        links.filter(pl.col("entity_kind") == "person")
        .join(accepted, on=["file", "row_number"])
        .select(pl.col("entity_id").alias("person_id"))
        .unique()
        .join(truth, on="person_id")
    )
    assert mine.height >= 10
    received = pl.from_arrow(parquet_table(extracts / "traffic_police", "dim_person"))
    assert set(mine["name"]) <= set(received["name"])
    assert set(mine["phone"].drop_nulls()) <= set(received["phone"].drop_nulls())
    masked_numbers = (
        mine["id_number"].str.slice(0, 6) + "********" + mine["id_number"].str.slice(14)
    )
    assert set(masked_numbers) <= set(received["id_number_masked"].drop_nulls())
    # Its own persons only: nobody known solely from other departments' records.
    assert received.height == received["person_key"].n_unique()
    everyone = (
        duckdb.connect(str(city.analytics), read_only=True)
        .execute("SELECT count(*) FROM dim_person")
        .fetchone()[0]
    )
    assert received.height < everyone

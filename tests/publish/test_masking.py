"""Treatments per column, the masks and the keyed pseudonym as SQL, the key from the environment."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from pipelines.lib.publish.masking import plan_department
from pipelines.lib.publish.pseudonym import (
    PSEUDONYM_KEY_ENV,
    PseudonymKey,
    PseudonymKeyError,
    hmac_sql,
    key_from_environment,
    pseudonym,
)
from pipelines.lib.settings import PSEUDONYM_KEY_MIN_LENGTH
from pipelines.lib.sql_names import quoted


def _treatments(policy, contracts, department: str) -> dict[str, dict[str, str]]:
    plans = plan_department(policy.departments[department], contracts)
    return {plan.table: {c.name: c.treatment for c in plan.columns} for plan in plans}


def test_each_department_gets_personal_columns_as_its_grant_says(policy, contracts) -> None:
    traffic = _treatments(policy, contracts, "traffic_police")
    assert set(traffic["dim_person"].values()) == {"clear"}
    assert "id_number_hash" not in traffic["dim_person"]  # sensitive: never, not even in clear

    market = _treatments(policy, contracts, "market_regulation")["dim_person"]
    assert market["person_key"] == "pseudonymised"
    assert {market[c] for c in ("name", "phone", "id_number_masked", "sex", "birth_date")} == {
        "masked"
    }
    assert market["key_kind"] == market["source_mentions"] == "clear"

    emergency = _treatments(policy, contracts, "emergency_management")
    assert emergency["dim_person"]["person_key"] == "pseudonymised"
    assert emergency["bridge_person_organisation"]["person_key"] == "pseudonymised"
    assert emergency["bridge_event_person"]["person_key"] == "pseudonymised"
    # Classified internal, but it references dim_person.person_key: a person's key all the same.
    assert emergency["dim_organisation"]["legal_rep_person_key"] == "pseudonymised"
    assert (
        _treatments(policy, contracts, "fire_rescue")["dim_organisation"]["legal_rep_person_key"]
        == "pseudonymised"
    )
    assert "legal_rep_person_key" not in traffic["dim_organisation"]  # not in its column list

    for department in policy.departments:
        for table, columns in _treatments(policy, contracts, department).items():
            assert "id_number_hash" not in columns, (department, table)


def test_the_masks_on_sample_values(policy, contracts) -> None:
    plans = {
        p.table: p for p in plan_department(policy.departments["market_regulation"], contracts)
    }
    expressions = {c.name: c.expression for c in plans["dim_person"].columns}
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE dim_person AS SELECT * FROM (VALUES "
        "('张三', '13812345678', DATE '1990-01-01', 'M', '510104********123X'), "
        "('欧阳娜娜', '028-87654321', NULL, 'F', NULL), "
        "('李', '12345', NULL, NULL, NULL)) AS t(name, phone, birth_date, sex, id_number_masked)"
    )
    select = ", ".join(
        f"{expressions[c]} AS {c}"
        for c in ("name", "phone", "birth_date", "sex", "id_number_masked")
    )
    rows = connection.execute(f"SELECT {select} FROM dim_person").fetchall()
    assert rows == [
        ("张*", "138****5678", None, None, None),
        ("欧*", "028****4321", None, None, None),
        ("李*", "*****", None, None, None),
    ]
    emergency = {
        p.table: p for p in plan_department(policy.departments["emergency_management"], contracts)
    }
    empty = {c.name: c.expression for c in emergency["dim_person"].columns}
    assert connection.execute(
        f"SELECT {empty['name']}, {empty['phone']} FROM dim_person LIMIT 1"
    ).fetchone() == (None, None)


@pytest.mark.parametrize(
    "secret", [b"a sixteen-byte key!", b"k" * 200], ids=["short key", "key longer than a block"]
)
def test_the_sql_pseudonym_is_hmac_sha256(secret: bytes) -> None:
    key = PseudonymKey(secret)
    values = ["P:335f2ac5719ca878b723eed2c41f2d1b", "M:158f99f45302912a", "张三", ""]
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT unnest($v) AS person_key", {"v": [*values, None]})
    got = connection.execute(
        f"SELECT {hmac_sql(quoted('person_key'))} FROM t", key.sql_parameters()
    ).fetchall()
    expected = [hmac.new(secret, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert [row[0] for row in got] == [*expected, None]
    assert expected == [pseudonym(key, v) for v in values]
    assert "sixteen" not in repr(key)  # the secret never shows in logs


def test_the_key_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    with pytest.raises(PseudonymKeyError, match=r"\$SAFECITY_PSEUDONYM_KEY is not set"):
        key_from_environment()
    # The minimum is stated in settings.py (and the README): one character short fails.
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "k" * (PSEUDONYM_KEY_MIN_LENGTH - 1))
    with pytest.raises(PseudonymKeyError, match=f"too short.*at least {PSEUDONYM_KEY_MIN_LENGTH}"):
        key_from_environment()
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "k" * PSEUDONYM_KEY_MIN_LENGTH)
    assert key_from_environment().secret == b"k" * PSEUDONYM_KEY_MIN_LENGTH


@pytest.mark.parametrize("name", ['name"; DROP TABLE dim_person; --', "Name", "1st", "a b", ""])
def test_identifiers_are_checked_before_quoting(name: str) -> None:
    with pytest.raises(ValueError, match="is not a safe name"):
        quoted(name)

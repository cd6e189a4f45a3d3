"""Issue 6, done when: the same pseudonym for the same person in two extracts, and no way back without the secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import duckdb
import polars as pl

from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.pseudonym import PseudonymKey, key_from_environment, pseudonym
from tests.publish.helpers import TEST_KEY, parquet_table


def _column(folder, table: str, column: str) -> set[str]:
    return {v for v in parquet_table(folder, table).column(column).to_pylist() if v is not None}


def test_the_same_person_has_the_same_pseudonym_in_two_departments(built_city, extracts) -> None:
    market = _column(extracts / "market_regulation", "dim_person", "person_key")
    emergency = _column(extracts / "emergency_management", "dim_person", "person_key")
    shared = market & emergency
    # Market regulation gets its licensees' representatives, emergency management every person.
    assert market and shared == market
    # And they join across tables of different departments: fire/rescue's bridges, emergency's persons.
    fire_events = _column(extracts / "fire_rescue", "bridge_event_person", "person_key")
    assert fire_events and fire_events <= emergency
    fire_representatives = _column(
        extracts / "fire_rescue", "dim_organisation", "legal_rep_person_key"
    )
    assert fire_representatives and fire_representatives <= emergency

    # The pseudonym is the keyed hash of the person's warehouse key, as published by `safecity run`.
    key = key_from_environment()  # what the tests' runs inherit (tests/conftest.py)
    keys = (
        duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True)
        .execute("SELECT person_key FROM dim_person")
        .fetchall()
    )
    assert {pseudonym(key, k) for (k,) in keys} == emergency


def _publish_emergency(city, policy, contracts, key: PseudonymKey) -> set[str]:
    """Emergency management's person pseudonyms, published from `city` under `key`."""
    grant = policy.departments["emergency_management"]
    publication = publish_department(city, policy, grant, contracts, key=key)
    return _column(publication.folder, "dim_person", "person_key")


def test_a_different_key_gives_different_pseudonyms(city_copy, policy, contracts) -> None:
    first = _publish_emergency(city_copy, policy, contracts, TEST_KEY)
    other = PseudonymKey(b"tests/publish: another key entirely")
    second = _publish_emergency(city_copy, policy, contracts, other)
    assert first and len(first) == len(second)
    assert not (first & second)


def test_the_number_cannot_be_recovered_without_the_secret(
    city_copy, built_city, policy, contracts
) -> None:
    """Published under a secret nobody else has, no guess at the input or the key reproduces a pseudonym.

    The inputs an attacker would try are all known here: every person key of the warehouse
    and every true identity number, name and phone of the sample city. Hashed without a key
    (the usual digests), or with an HMAC under keys one might guess (none, the identity hash's
    former development default, the development keys in the Makefile and tests), none is a pseudonym.
    With the secret, every pseudonym is the HMAC of its person key: the key is what matters.
    """
    secret = PseudonymKey(secrets.token_bytes(32))
    published = _publish_emergency(city_copy, policy, contracts, secret)

    person_keys = [
        k
        for (k,) in duckdb.connect(str(city_copy.analytics), read_only=True)
        .execute("SELECT person_key FROM dim_person")
        .fetchall()
    ]
    truth = pl.read_parquet(built_city / "ground_truth" / "persons.parquet")
    candidates = [
        *person_keys,
        *(k.removeprefix("P:").removeprefix("M:") for k in person_keys),
        *truth["id_number"].to_list(),
        *truth["name"].to_list(),
        *truth["phone"].drop_nulls().to_list(),
    ]
    assert len(candidates) > 200

    guesses: set[str] = set()
    for value in candidates:
        data = value.encode("utf-8")
        for algorithm in ("md5", "sha1", "sha256", "sha512", "sha3_256", "blake2b"):
            guesses.add(hashlib.new(algorithm, data).hexdigest())
        for guessed_key in (
            b"",
            b"safecity-development-key",
            b"safecity-development-pseudonym-key-NOT-A-SECRET",
            b"safecity-tests-pseudonym-key-NOT-A-SECRET",
            b"safecity-development-identity-hash-key-NOT-A-SECRET",
            b"safecity-tests-identity-hash-key-NOT-A-SECRET",
            data,
        ):
            guesses.add(hmac.new(guessed_key, data, hashlib.sha256).hexdigest())
    assert not (guesses & published)

    assert {pseudonym(secret, k) for k in person_keys} == published

"""Identity numbers hashed at ingestion: a keyed hash beside every number joins persons across feeds.

For every property with `standard: identity_number` (items of an array too, inside their
struct), bronze holds a companion column `<name>_hash` right after it: HMAC-SHA256 of the
number as bronze holds it (UTF-8), as 64 lowercase hex characters, or null where the number
is null. dbt reads these columns; the key is read here, from `$SAFECITY_IDENTITY_HASH_KEY`,
and used in Python only, so no SQL text, compiled model, manifest or log ever holds it.

Which numbers get a hash: every number in bronze, and only those. A number reaches bronze
only when its GB 11643 check character is right (else its row is quarantined), so a masked
number (`510104********123X`, as market regulation delivers them, in a property of its own
without the standard) is never hashed and never joins another one.

The same number has the same hash in every feed and on every day, as long as the key stays.
A new key changes every hash: re-ingest every feed with identity numbers (bronze keeps the
old hashes otherwise, and they would no longer meet the new ones). Person keys carry over
through the linkage registry; review decisions on pairs of full-number records name them by
their hash and are no longer matched.

Cost: one HMAC per distinct number of a delivery, `hmac.digest` (OpenSSL's one-shot HMAC,
in C): 2 to 4 µs a number on the reference machine. The same HMAC as DuckDB SQL over the
column (as pseudonyms are computed) measured slower there, about 9 µs a number.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pipelines.lib import settings
from pipelines.lib.contracts import FeedContract, Field

STANDARD = "identity_number"
HASH_SUFFIX = "_hash"


class IdentityHashKeyError(Exception):
    """The identity hash secret is missing or unusable; the message names the variable and what to do."""


@dataclass(frozen=True)
class IdentityHashKey:
    secret: bytes

    def __repr__(self) -> str:  # never print the secret in logs or tracebacks
        return "IdentityHashKey(<secret>)"


def hash_column(name: str) -> str:
    """The companion column of an identity-number property."""
    return name + HASH_SUFFIX


def is_identity_number(f: Field) -> bool:
    return f.standard == STANDARD


def identity_fields(contract: FeedContract) -> list[tuple[Field, Field | None]]:
    """(field, None) for each identity-number property; (array, item) for one inside an array's items."""
    found: list[tuple[Field, Field | None]] = []
    for f in contract.fields:
        if is_identity_number(f):
            found.append((f, None))
        found += [(f, item) for item in f.items if is_identity_number(item)]
    return found


def key_from_environment() -> IdentityHashKey:
    """The key from `$SAFECITY_IDENTITY_HASH_KEY` (settings.py states and enforces its minimum length)."""
    try:
        return IdentityHashKey(settings.identity_hash_key())
    except settings.SettingError as error:
        raise IdentityHashKeyError(str(error)) from None


def key_for(contract: FeedContract) -> IdentityHashKey | None:
    """The key, when the feed has identity numbers (IdentityHashKeyError if it is not set); else None."""
    return key_from_environment() if identity_fields(contract) else None


def hashes_of(key: IdentityHashKey, numbers: pl.Series) -> dict[str, str]:
    """Each distinct number of `numbers` and its HMAC-SHA256 under the key, as 64 lowercase hex
    characters (nulls have none)."""
    secret = key.secret
    return {
        number: hmac.digest(secret, number.encode("utf-8"), "sha256").hex()
        for number in numbers.drop_nulls().unique().to_list()
    }


def with_identity_hashes(
    contract: FeedContract, valid: pl.DataFrame, key: IdentityHashKey | None
) -> pl.DataFrame:
    """Bronze's rows: `valid` with the hash column beside each identity number.

    `key` may be None for an empty frame only: bronze's schema, which needs no key.
    """
    fields = identity_fields(contract)
    if not fields:
        return valid
    if key is None and valid.height:
        raise ValueError(f"{contract.department}/{contract.feed}: identity numbers need the key")
    known = hashes_of(key, _all_numbers(valid, fields)) if key is not None and valid.height else {}
    numbers = pl.Series(list(known), dtype=pl.String)
    hashes = pl.Series(list(known.values()), dtype=pl.String)

    def hashed(number: pl.Expr) -> pl.Expr:
        return number.replace_strict(numbers, hashes, default=None, return_dtype=pl.String)

    for f, item in fields:
        if item is None:
            beside = valid.get_column_index(f.name) + 1
            column = valid.select(hashed(pl.col(f.name)).alias(hash_column(f.name))).to_series()
            valid = valid.insert_column(beside, column)
    arrays = [f for f in contract.fields if any(a is f for a, item in fields if item is not None)]
    if arrays:
        valid = valid.with_columns(_items_with_hashes(f, hashed) for f in arrays)
    return valid


def _all_numbers(valid: pl.DataFrame, fields: list[tuple[Field, Field | None]]) -> pl.Series:
    """Every identity number of the rows, wherever it is (duplicates and nulls included)."""
    found = [
        valid[f.name]
        if item is None
        else valid[f.name].list.eval(pl.element().struct.field(item.name)).explode()
        for f, item in fields
    ]
    return pl.concat(found)


def _items_with_hashes(array: Field, hashed: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """The array with each item's identity numbers followed by their hash, inside the item."""
    parts: list[pl.Expr] = []
    for item in array.items:
        value = pl.element().struct.field(item.name)
        parts.append(value.alias(item.name))
        if is_identity_number(item):
            parts.append(hashed(value).alias(hash_column(item.name)))
    return pl.col(array.name).list.eval(pl.struct(parts)).alias(array.name)

"""The four mention unions (`int_<kind>_mentions`), one branch per mapped mention.

Every branch gives the same columns in the same order, typed, so the union is plain
`union all`; a column a mapping does not give is a typed null. A branch keeps a mention
only when it identifies something: an organisation a name or an identifier, a person a
name or an identity number, a place a point or an address, an object a code.

Identity numbers never pass this layer in full: ingestion hashed them (`<column>_hash`),
the mention carries that hash and the masked form, and the birth date and sex read from
the number (GB 11643 positions 7-14 and 17).
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.lib.contracts.model import Mention
from pipelines.lib.dbt_models.feed_sql import FeedSql
from pipelines.lib.dbt_models.sql import macro, typed_select

LINEAGE = ("source_department", "source_feed", "source_record_id")

# Each kind's columns and their types, in table order.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "organisation": (
        *((c, "varchar") for c in LINEAGE),
        ("delivery_date", "date"),
        ("role", "varchar"),
        ("slot", "bigint"),
        ("uscc", "varchar"),
        ("licence_no", "varchar"),
        ("permit_no", "varchar"),
        ("name", "varchar"),
        ("name_normalised", "varchar"),
        ("county_code", "varchar"),
        ("organisation_type", "varchar"),
        ("legal_rep_name", "varchar"),
        ("legal_rep_id_masked", "varchar"),
        ("legal_rep_id_hash", "varchar"),
        ("phone", "varchar"),
        ("industry_code", "varchar"),
    ),
    "person": (
        *((c, "varchar") for c in LINEAGE),
        ("delivery_date", "date"),
        ("role", "varchar"),
        ("slot", "bigint"),
        ("name", "varchar"),
        ("id_hash", "varchar"),
        ("id_masked", "varchar"),
        ("phone", "varchar"),
        ("birth_date", "date"),
        ("sex", "varchar"),
    ),
    "place": (
        *((c, "varchar") for c in LINEAGE),
        ("delivery_date", "date"),
        ("role", "varchar"),
        ("address", "varchar"),
        ("county_code", "varchar"),
        ("township_code", "varchar"),
        ("longitude", "double"),
        ("latitude", "double"),
        ("location_key", "varchar"),
    ),
    "object": (
        *((c, "varchar") for c in LINEAGE),
        ("delivery_date", "date"),
        ("role", "varchar"),
        ("slot", "bigint"),
        ("kind", "varchar"),
        ("code_key", "varchar"),
        ("code", "varchar"),
        ("name", "varchar"),
        ("owner_uscc", "varchar"),
        ("location_key", "varchar"),
    ),
}

DESCRIPTIONS = {
    "organisation": "Every mention of an organisation in any mapped feed, with whatever identifies it there.",
    "person": "Every mention of a person: identity numbers only as a keyed hash and a masked form.",
    "place": "Every location a mapped feed gives: a delivered point (WGS-84 in bronze), or an address in a county.",
    "object": "Every object a mapped feed names, keyed by its kind's prefix and its (normalised) code.",
}


# Built by delivery day (macros/incremental.sql, `replace_days`): a daily build reads and writes
# the new days' mentions, and those of an entity whose latest reading moved to a new day (a
# collapsed feed's `__latest` row), which replace its earlier row by record.
INCREMENTAL = (
    "{{ config(materialized='incremental', incremental_strategy='replace_days', "
    "unique_key='source_record_id') }}\n"
    "{%- set days_built = delivery_days_to_build() %}\n"
)


def mentions_model(kind: str, feeds: Iterable[FeedSql], header: str) -> str:
    """`int_<kind>_mentions`: the union of every feed's mentions of this kind."""
    branches = [
        _branch(kind, feed, mention)
        for feed in feeds
        for mention in feed.mapping.mentions
        if mention.kind == kind
    ]
    if not branches:  # no feed mentions this kind yet: the table exists, empty
        branches = [typed_select(COLUMNS[kind], {}, "(select 1)", "false")]
    return f"{header}-- {DESCRIPTIONS[kind]}\n{INCREMENTAL}" + "\nunion all\n".join(branches) + "\n"


def _branch(kind: str, feed: FeedSql, mention: Mention) -> str:
    values = _values(kind, feed, mention)
    values.update(
        source_department="source_department",
        source_feed="source_feed",
        source_record_id="source_record_id",
        delivery_date="delivery_date",
        role=f"'{mention.role}'",  # snake_case: checked by the contract loader
        slot=feed.slot(mention),
    )
    present = " or ".join(f"{values[c]} is not null" for c in _identifying(kind, values))
    where = f"({present or 'false'}) and {{{{ days_built }}}}"
    return typed_select(COLUMNS[kind], values, feed.source(mention), where)


def _values(kind: str, feed: FeedSql, mention: Mention) -> dict[str, str]:
    given: dict[str, str | None]
    if kind == "organisation":
        name = feed.value(mention, "name")
        given = {
            "uscc": feed.identifier(mention, "uscc"),
            "licence_no": feed.identifier(mention, "licence_no"),
            "permit_no": feed.identifier(mention, "permit_no"),
            "name": name,
            "name_normalised": macro("normalise_org_name", name) if name else None,
            "county_code": feed.value(mention, "county"),
            "organisation_type": feed.value(mention, "type"),
            "phone": feed.value(mention, "phone"),
            "industry_code": feed.value(mention, "industry"),
        }
        representative = feed.related("represents", mention.role, "person")
        if representative is not None:
            person = _person(feed, representative)
            given |= {
                "legal_rep_name": person["name"],
                "legal_rep_id_masked": person["id_masked"],
                "legal_rep_id_hash": person["id_hash"],
            }
    elif kind == "person":
        given = dict(_person(feed, mention))
    elif kind == "place":
        point = feed.point(mention)
        given = {
            "address": feed.value(mention, "address"),
            "county_code": feed.value(mention, "county"),
            "township_code": feed.value(mention, "township"),
            "longitude": point[0] if point else None,
            "latitude": point[1] if point else None,
            "location_key": feed.location_key(mention),
        }
    else:
        given = _object(feed, mention)
    return {column: sql for column, sql in given.items() if sql is not None}


def _person(feed: FeedSql, mention: Mention) -> dict[str, str | None]:
    record = feed.record_of(mention)
    number_value = mention.attribute("identityNumber")
    masked_value = mention.attribute("identityMasked")
    number = record.value(number_value) if number_value is not None else None
    masked = record.value(masked_value) if masked_value is not None else None
    return {
        "name": feed.value(mention, "name"),
        # Ingestion wrote the number's keyed hash beside it (pipelines/lib/ingest/identity_hash.py).
        "id_hash": f"{number}_hash" if number else None,
        "id_masked": masked or (macro("mask_identity", number) if number else None),
        "phone": feed.value(mention, "phone"),
        "birth_date": (
            f"case when {number} is not null then cast(strptime(substr({number}, 7, 8), '%Y%m%d') as date) end"
            if number
            else None
        ),
        "sex": (
            f"case when {number} is not null then "
            f"case when cast(substr({number}, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end"
            if number
            else None
        ),
        # Not a column: what makes a person mention worth keeping.
        "_identity_number": number,
    }


def _object(feed: FeedSql, mention: Mention) -> dict[str, str | None]:
    assert mention.object_kind is not None
    kind = feed.vocabulary.object_kinds[mention.object_kind]
    code = feed.value(mention, "code")
    if code is not None and kind.code_normaliser == "plate":
        code = macro("normalise_plate", code)
    owner = feed.related("owns", mention.role, "organisation")
    place = feed.related("locatedAt", mention.role, "place")
    return {
        "kind": f"'{kind.name}'",
        "code_key": f"'{kind.code_prefix}:' || {code}" if code else None,
        "code": code,
        "name": feed.value(mention, "name"),
        "owner_uscc": feed.identifier(owner, "uscc") if owner is not None else None,
        "location_key": feed.location_key(place) if place is not None else None,
    }


def _identifying(kind: str, values: dict[str, str]) -> list[str]:
    wanted = {
        "organisation": ("name", "uscc", "licence_no", "permit_no"),
        "person": ("name", "_identity_number"),
        "place": ("longitude", "address"),
        "object": ("code",),
    }[kind]
    return [column for column in wanted if column in values]

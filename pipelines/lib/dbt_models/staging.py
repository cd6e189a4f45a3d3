"""One staging view per feed: its bronze partitions with the lineage every row carries.

Staging adds nothing a department did not deliver but the record's identity across the
warehouse, `<feed>:<key>`, and its delivery (file, row, day). What a record means (its
mentions and its event) is compiled from its mapping into the `int_` unions
(`mentions.py`, `events.py`), so a feed's staging is the same whatever its contract says.
"""

from __future__ import annotations

from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.dbt_models.sql import Record, jinja_safe, literal

TIME_TYPES = frozenset({"date", "timestamp"})


def model_name(contract: FeedContract) -> str:
    return f"stg_{contract.department}__{contract.feed}"


def record_id_key(contract: FeedContract, columns: tuple[str, ...] | None = None) -> str:
    """The key part of `source_record_id` as SQL: its key columns as text, joined.

    A later key part is joined by '@' when it is a time (a reading at a moment, e.g.
    `station@2025-01-01 08:00:00+08`) and by '/' otherwise (codes, e.g. `source/CAS`). Event
    keys, linkage keys and the linkage ground truth all hash this: it must never change.
    """
    record = Record({f.name: f for f in contract.fields})
    parts: list[str] = []
    for position, name in enumerate(columns or contract.key):
        if position:
            kind = record.fields[name].logical_type
            parts.append(literal("@" if kind in TIME_TYPES else "/"))
        parts.append(record.text(name))
    return " || ".join(parts)


def staging_model(contract: FeedContract, header: str) -> str:
    key = record_id_key(contract).replace('"', '\\"')
    return (
        f"{header}"
        "select\n"
        "    * exclude (_source_file, _source_row, _delivery_date),\n"
        "    {{ lineage_columns(\n"
        f"        '{contract.department}', '{contract.feed}', \"{key}\"\n"
        "    ) }}\n"
        f"from {{{{ source('{contract.department}', '{contract.feed}') }}}}\n"
    )


# A daily build tests the days it rebuilds (SAFECITY_REPROCESS_SINCE, set by the warehouse step,
# which macros/where_subquery.sql puts in when the test runs: read here, dbt would parse these
# files again each day); that a new day repeats no earlier day's key is ingestion's rule (duplicate_key).
DAYS_BUILT = {"where": "delivery_date >= __first_day_built__"}


def staging_properties(contracts: list[FeedContract]) -> dict:
    """dbt properties of one department's staging models: the contract's words, the key's tests."""
    return {"version": 2, "models": [_model_properties(contract) for contract in contracts]}


def _model_properties(contract: FeedContract) -> dict:
    key = f"`{contract.feed}:<{'|'.join(contract.key)}>`"
    columns: list[dict[str, object]] = [
        {"name": f.name, "description": jinja_safe(f.description or f.business_name or "")}
        for f in contract.fields
    ]
    columns.append(
        {
            "name": "source_record_id",
            "description": "{{ doc('source_record_id') }}",
            "data_tests": [
                {
                    "primary_key": {
                        "config": DAYS_BUILT,
                        "description": f"Every record of the days built has a key, and one row per key ({key}).",
                    }
                },
            ],
        }
    )
    columns.append({"name": "delivery_date", "description": "{{ doc('delivery_date') }}"})
    return {
        "name": model_name(contract),
        "description": jinja_safe(
            f"{contract.description or contract.feed} As its contract "
            f"(contracts/feeds/{contract.department}/{contract.feed}.odcs.yaml) accepted it."
        ),
        "columns": columns,
    }

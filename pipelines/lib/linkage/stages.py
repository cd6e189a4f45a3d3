"""Each entity kind's linkage stage: candidates from the warehouse, clusters, stable keys, tables back.

A stage reads the dbt candidate models (`intermediate.int_*_mentions`) from the warehouse,
clusters them (exact keys, then Splink where evidence is probabilistic), keys the clusters
from the lake's registry, and writes to the warehouse's `linkage` schema:

    <kind>_clusters     each mention (or location, or code) and its entity key, method, probability
    <kind>_review       pairs in the uncertain band, with the evidence for and against
    <kind>_key_changes  every merge and split of entity keys so far
    <kind>_decisions    every decision engineers recorded on review pairs (`safecity review`)

The warehouse models read `*_clusters` as dbt sources. Places come first (organisations use
them as evidence), then organisations (persons use the organisations they represent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.city_profile import CityProfile, city_profile
from pipelines.lib.contracts.loader import contracts_dir, shared_vocabulary
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import attach, connect
from pipelines.lib.entity_kinds import ENTITY_KINDS
from pipelines.lib.linkage.clustering import RecordClusters
from pipelines.lib.linkage.decisions import Decisions
from pipelines.lib.linkage.keys import assign_keys
from pipelines.lib.linkage.objects import link_objects
from pipelines.lib.linkage.organisations import link_organisations
from pipelines.lib.linkage.pair_store import PairStore
from pipelines.lib.linkage.persons import link_persons
from pipelines.lib.linkage.places import link_places
from pipelines.lib.linkage.registry import Registry
from pipelines.lib.linkage.scoring import load_table
from pipelines.lib.sql_names import one_of


@dataclass(frozen=True)
class LinkageOutcome:
    entity_kind: str
    mentions: int
    entities: int
    new_entities: int
    merged: int
    split: int
    probabilistic_mentions: int
    records: int  # what scoring compares: mentions grouped by identifier (0: exact keys only)
    rescored_records: int  # records whose pairs were scored; the others' kept from the last run
    reviewed_mentions: int  # joined by an engineer's decision
    unmatched_decisions: int  # decisions naming a record that no longer exists
    review_pairs: int
    seconds: float

    def metadata(self) -> dict[str, int | float]:
        return {k: v for k, v in self.__dict__.items() if k != "entity_kind"}


@dataclass(frozen=True)
class _Kind:
    name: str  # singular, as in xref_source_record.entity_kind
    key_column: str
    new_key_prefix: str  # for entities with no identifier to be named by
    # (connection, review decisions in force, the city, the last run's scored pairs) -> mentions
    # with their cluster, and the record clusters
    link: Callable[
        [duckdb.DuckDBPyConnection, pl.DataFrame, CityProfile, PairStore],
        tuple[pl.DataFrame, RecordClusters | None],
    ]
    keyed_columns: tuple[
        str, ...
    ]  # what the key is given to (a mention, a location, a code), as the warehouse joins it


def _places(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    city: CityProfile,
    store: PairStore,
) -> tuple[pl.DataFrame, RecordClusters | None]:
    # exact keys only: nothing to review
    return link_places(connection, city), None


def _organisations(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    city: CityProfile,
    store: PairStore,
) -> tuple[pl.DataFrame, RecordClusters | None]:
    vocabulary = shared_vocabulary(contracts_dir())
    # Without a valid vocabulary (`safecity contract check` says why) no name is an identifier.
    types = vocabulary.organisation_types.values() if vocabulary is not None else ()
    return link_organisations(
        connection, decisions, [t.name for t in types if t.unique_name], store
    )


def _persons(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    city: CityProfile,
    store: PairStore,
) -> tuple[pl.DataFrame, RecordClusters | None]:
    return link_persons(connection, decisions, store)


def _objects(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    city: CityProfile,
    store: PairStore,
) -> tuple[pl.DataFrame, RecordClusters | None]:
    return link_objects(connection), None


_MENTION_COLUMNS = ("source_department", "source_feed", "source_record_id", "role", "slot")
_MATCH_COLUMNS = ("method", "match_probability", "matched_on")

KINDS = {
    "place": _Kind(
        "place",
        "place_key",
        "PL:",
        _places,
        ("location_key", "standard_address", "standard_township_code"),
    ),
    "organisation": _Kind(
        "organisation", "organisation_key", "O:", _organisations, _MENTION_COLUMNS
    ),
    "person": _Kind("person", "person_key", "M:", _persons, _MENTION_COLUMNS),
    "object": _Kind("object", "object_key", "X:", _objects, ("code_key",)),
}
assert set(KINDS) == set(ENTITY_KINDS), "a linkage stage per entity kind (lib/entity_kinds.py)"


def run_linkage(kind_name: str, paths: DataDir, *, rescore_all: bool = False) -> LinkageOutcome:
    """Link one entity kind in the warehouse at `paths.warehouse`, keys continued from `paths.linkage`.

    Pairs of records unchanged since the last run keep their scores (`pair_store.py`);
    `rescore_all` (`safecity run --full-refresh`) scores every pair again."""
    kind = KINDS[one_of(kind_name, ENTITY_KINDS, "entity kind")]
    started = time.perf_counter()
    connection = _connect(paths.warehouse)
    try:
        decisions = Decisions(paths.linkage_kind(kind.name))
        store = PairStore(paths.linkage_kind(kind.name), rescore_all=rescore_all)
        linked, clusters = kind.link(
            connection, decisions.in_force(), city_profile(paths.root), store
        )
        registry = Registry(paths.linkage_kind(kind.name))
        assignment = assign_keys(
            linked.select("mention_id", "cluster", "anchor"), registry.keys(), kind.new_key_prefix
        )
        keyed = linked.join(assignment.keys, on="mention_id").select(
            *kind.keyed_columns, pl.col("entity_key").alias(kind.key_column), *_MATCH_COLUMNS
        )
        _write(connection, f"{kind.name}_clusters", keyed)
        if clusters is not None:
            _write(connection, f"{kind.name}_review", clusters.review)
        registry.save(assignment)
        _write(connection, f"{kind.name}_key_changes", registry.history())
        if clusters is not None:
            _write(connection, f"{kind.name}_decisions", decisions.history())
        changes = assignment.changes["change"].value_counts()
        counts = dict(zip(changes["change"].to_list(), changes["count"].to_list(), strict=True))
        return LinkageOutcome(
            entity_kind=kind.name,
            mentions=keyed.height,
            entities=keyed[kind.key_column].n_unique(),
            new_entities=assignment.new_entities,
            merged=counts.get("merged", 0),
            split=counts.get("split", 0),
            probabilistic_mentions=int((keyed["method"] == "probabilistic").sum()),
            reviewed_mentions=int((keyed["method"] == "reviewed").sum()),
            unmatched_decisions=clusters.unmatched_decisions if clusters is not None else 0,
            review_pairs=clusters.review.height if clusters is not None else 0,
            records=clusters.records.height if clusters is not None else 0,
            rescored_records=clusters.rescored_records if clusters is not None else 0,
            seconds=round(time.perf_counter() - started, 2),
        )
    finally:
        connection.close()


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Splink's working tables stay in memory; only results are written to the warehouse."""
    connection = connect()
    attach(connection, str(warehouse), "wh")
    connection.execute("create schema if not exists wh.linkage")
    return connection


def _write(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    load_table(connection, f"wh.linkage.{table}", frame)

"""Linkage: one asset per entity kind between the dbt mention models and the models that read
the clusters, built by one step; and the accuracy of the result against the sample city's
ground truth.

The kinds run in one step (`link_entities`), in the order they use each other (organisations
use places, persons use organisations), so dbt runs in two steps around it (`dbt_mentions`,
`dbt_entities_and_marts`) rather than one per linkage asset. The step writes the warehouse's
`linkage` schema, so it runs in the `warehouse` pool with the dbt steps (one writer).
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from collections.abc import Iterator

import dagster as dg

from pipelines.defs import groups
from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import WAREHOUSE_POOL, model_key
from pipelines.lib.dbt_args import wants_full_refresh
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.entity_kinds import ENTITY_KINDS, REVIEWED_KINDS
from pipelines.lib.linkage.evaluate import F1_TARGETS, score_linkage, scores_markdown
from pipelines.lib.linkage.stages import run_linkage
from pipelines.lib.resources import DataDirResource

# entity kind -> (asset name, models it reads: candidates first, earlier linkage stages it uses),
# in the order the step runs them.
_KIND_ASSETS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "place": ("places", ("int_place_mentions",), ()),
    "organisation": (
        "organisations",
        ("int_organisation_mentions", "int_mention_relations"),
        ("places",),
    ),
    "person": ("persons", ("int_person_mentions", "int_mention_relations"), ("organisations",)),
    "object": ("objects", ("int_object_mentions",), ()),
}


def linkage_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["linkage", _KIND_ASSETS[kind][0]])


def _linkage_spec(
    kind: str, name: str, models: tuple[str, ...], after: tuple[str, ...]
) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["linkage", name],
        deps=[
            *(model_key(model) for model in models),
            *(dg.AssetKey(["linkage", a]) for a in after),
        ],
        group_name=groups.LINKAGE,
        automation_condition=REFRESH_AFTER_INGESTION,
        kinds={"splink", "duckdb"} if kind in REVIEWED_KINDS else {"duckdb"},
        description=f"Which {kind} mentions are one {kind}: clusters with stable keys, review queue, merges and splits.",
    )


assert set(_KIND_ASSETS) == set(ENTITY_KINDS), (
    "a linkage asset per entity kind (lib/entity_kinds.py)"
)


@dg.multi_asset(
    name="link_entities",
    specs=[_linkage_spec(kind, *spec) for kind, spec in _KIND_ASSETS.items()],
    pool=WAREHOUSE_POOL,
    description="Entity linkage of every kind, in order: places, organisations, persons, objects.",
)
def link_entities(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> Iterator[dg.MaterializeResult]:
    for kind in _KIND_ASSETS:
        outcome = run_linkage(
            kind, data_dir.paths, rescore_all=wants_full_refresh(context.run.tags)
        )
        scored = (
            f"{outcome.rescored_records:,} of {outcome.records:,} records scored, the others' "
            "pairs kept from the last run; "
            if kind in REVIEWED_KINDS
            else ""
        )
        context.log.info(
            f"{outcome.mentions:,} {kind} mentions -> {outcome.entities:,} entities "
            f"({scored}{outcome.probabilistic_mentions:,} matched probabilistically, "
            f"{outcome.reviewed_mentions:,} by review decisions, "
            f"{outcome.review_pairs:,} pairs to review, "
            f"{outcome.merged} merged, {outcome.split} split) in {outcome.seconds:.1f}s"
        )
        if outcome.unmatched_decisions:
            # A record's id changes with its identifiers: the decision then has nothing to act on.
            context.log.warning(
                f"{outcome.unmatched_decisions} review decision(s) name {kind} records that no longer exist "
                f"(see linkage.{kind}_decisions): decide their pairs again with `safecity review {kind}`"
            )
        yield dg.MaterializeResult(
            asset_key=linkage_key(kind),
            metadata={**outcome.metadata(), "table": f"linkage.{kind}_clusters"},
        )


@dg.asset(
    key=["linkage", "evaluation"],
    deps=[model_key("xref_source_record")],
    group_name=groups.LINKAGE,
    pool=WAREHOUSE_POOL,
    automation_condition=REFRESH_AFTER_INGESTION,
    kinds={"duckdb"},
    check_specs=[
        dg.AssetCheckSpec(
            "f1_meets_targets",
            asset=["linkage", "evaluation"],
            description="Pairwise F1 of every entity kind meets its target (lib/linkage/evaluate.py); "
            "a city without ground truth passes unscored.",
        )
    ],
    description="Pairwise precision, recall and F1 of the resolved entities against the sample city's ground truth.",
)
def linkage_evaluation(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    paths = data_dir.paths
    if not paths.ground_truth.exists():
        # A real city has no ground truth: there is nothing to score, and that is not a failure.
        yield dg.MaterializeResult(metadata={"ground_truth": "none in this data directory"})
        yield dg.AssetCheckResult(
            check_name="f1_meets_targets", passed=True, metadata={"scored": False}
        )
        return
    connection = connect(str(paths.warehouse), read_only=True)
    try:
        scores = score_linkage(connection, paths.ground_truth)
    finally:
        connection.close()
    context.log.info("\n" + scores_markdown(scores))
    yield dg.MaterializeResult(
        metadata={
            "scores": dg.MetadataValue.md(scores_markdown(scores)),
            **{
                f"{s.entity_kind}/{m}": round(getattr(s, m), 4)
                for s in scores
                for m in ("precision", "recall", "f1")
            },
        }
    )
    missed = [s for s in scores if s.f1 < F1_TARGETS[s.entity_kind]]
    yield dg.AssetCheckResult(
        check_name="f1_meets_targets",
        passed=not missed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "below_target": ", ".join(
                f"{s.entity_kind} {s.f1:.4f} < {F1_TARGETS[s.entity_kind]}" for s in missed
            )
            or "none"
        },
    )

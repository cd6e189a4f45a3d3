"""Linkage: one asset per entity kind between the dbt candidate models and the warehouse models,
and the accuracy of the result against the sample city's ground truth.

Each stage writes the warehouse's `linkage` schema, so it runs in the `warehouse` pool with
the dbt steps (one writer). Dagster runs dbt in two steps around them: candidates first,
then the warehouse models that read the clusters.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import WAREHOUSE_POOL, warehouse_models
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.entity_kinds import ENTITY_KINDS, REVIEWED_KINDS
from pipelines.lib.linkage.evaluate import F1_TARGETS, score_linkage, scores_markdown
from pipelines.lib.linkage.stages import run_linkage
from pipelines.lib.resources import DataDirResource

# entity kind -> (asset name, models it reads: candidates first, earlier linkage stages it uses)
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


def _linkage_asset(
    kind: str, name: str, models: tuple[str, ...], after: tuple[str, ...]
) -> dg.AssetsDefinition:
    @dg.asset(
        key=["linkage", name],
        deps=[
            *(get_asset_key_for_model([warehouse_models], model) for model in models),
            *(dg.AssetKey(["linkage", a]) for a in after),
        ],
        group_name="linkage",
        pool=WAREHOUSE_POOL,
        automation_condition=REFRESH_AFTER_INGESTION,
        kinds={"splink", "duckdb"} if kind in REVIEWED_KINDS else {"duckdb"},
        description=f"Which {kind} mentions are one {kind}: clusters with stable keys, review queue, merges and splits.",
    )
    def link(context: dg.AssetExecutionContext, data_dir: DataDirResource) -> dg.MaterializeResult:
        outcome = run_linkage(kind, data_dir.paths)
        context.log.info(
            f"{outcome.mentions:,} {kind} mentions -> {outcome.entities:,} entities "
            f"({outcome.probabilistic_mentions:,} matched probabilistically, {outcome.reviewed_mentions:,} by review decisions, "
            f"{outcome.review_pairs:,} pairs to review, "
            f"{outcome.merged} merged, {outcome.split} split) in {outcome.seconds:.1f}s"
        )
        if outcome.unmatched_decisions:
            # A record's id changes with its identifiers: the decision then has nothing to act on.
            context.log.warning(
                f"{outcome.unmatched_decisions} review decision(s) name {kind} records that no longer exist "
                f"(see linkage.{kind}_decisions): decide their pairs again with `safecity review {kind}`"
            )
        return dg.MaterializeResult(
            metadata={**outcome.metadata(), "table": f"linkage.{kind}_clusters"}
        )

    return link


assert set(_KIND_ASSETS) == set(ENTITY_KINDS), (
    "a linkage asset per entity kind (lib/entity_kinds.py)"
)
linkage_assets = [_linkage_asset(kind, *spec) for kind, spec in _KIND_ASSETS.items()]


@dg.asset(
    key=["linkage", "evaluation"],
    deps=[get_asset_key_for_model([warehouse_models], "xref_source_record")],
    group_name="linkage",
    pool=WAREHOUSE_POOL,
    automation_condition=REFRESH_AFTER_INGESTION,
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec("f1_meets_targets", asset=["linkage", "evaluation"])],
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

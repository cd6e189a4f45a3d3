"""Extracts: one asset per department, `extracts/<department>`, from the analytics copy.

Each reads the sharing policy and the warehouse contracts when it runs (a broken policy
fails the step with every problem and its line) and publishes what the department is
granted (pipelines/lib/publish/extracts.py). The `manifest_verifies` check re-reads the
published folder rather than trusting the writer; it is a check of its own, so it can be
run again from the UI at any time, e.g. when a department reports a file that differs.

The analytics copy is a read-only file that is replaced, never written in place, so the
assets do not need the `warehouse` pool: departments are published side by side, and
never wait for a build.

Departments are the folders of `contracts/feeds/`; one the policy does not list
receives nothing, and an extract published to it before is withdrawn.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import dagster as dg

from pipelines.defs import groups
from pipelines.defs.automation.conditions import FRESHNESS, REFRESH_AFTER_INGESTION
from pipelines.defs.feeds import DEPARTMENTS
from pipelines.defs.scorecard.assets import department_scorecard
from pipelines.defs.warehouse.assets import analytics_copy
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.dbt_args import wants_full_refresh
from pipelines.lib.resources import DataDirResource

PUBLISH_GROUP = groups.PUBLISH
CHECK_NAME = "manifest_verifies"


def extract_key(department: str) -> dg.AssetKey:
    """The asset of a department's published extract (the quality reports depend on it)."""
    return dg.AssetKey(["extracts", department])


def build_extract_asset(department: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=extract_key(department),
        deps=[analytics_copy, department_scorecard],
        group_name=PUBLISH_GROUP,
        kinds={"duckdb", "parquet"},
        automation_condition=REFRESH_AFTER_INGESTION,
        freshness_policy=FRESHNESS,
        description=(
            f"What {department} is granted by contracts/sharing/policy.yaml: Parquet per table in "
            f"extracts/{department}/ (events by month), masked or pseudonymised as the policy says, "
            "with manifest.json and a row per table in the audit log (lake/audit/publications/)."
        ),
    )
    def _extract(
        context: dg.AssetExecutionContext, data_dir: DataDirResource
    ) -> dg.MaterializeResult:
        return _publish(context, data_dir, department)

    return _extract


def build_manifest_check(department: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=extract_key(department),
        name=CHECK_NAME,
        description=(
            "Every file of the published extract matches manifest.json (size and SHA-256), "
            "none is missing and none is extra."
        ),
    )
    def _manifest_verifies(data_dir: DataDirResource) -> dg.AssetCheckResult:
        from pipelines.lib.publish.manifest import verify_extract

        folder = data_dir.paths.extract(department)
        if not folder.exists() and not _granted(department):
            return dg.AssetCheckResult(passed=True, metadata={"extract": "none (nothing granted)"})
        problems = verify_extract(folder)
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={
                "files": sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0,
                "problems": len(problems),
                "first_problems": "\n".join(problems[:10]) or "none",
            },
        )

    return _manifest_verifies


def _granted(department: str) -> bool:
    from pipelines.lib.contracts.tables import load_table_contracts
    from pipelines.lib.publish.policy import load_policy, policy_path

    contracts = load_table_contracts(contracts_dir())
    return (
        department in load_policy(policy_path(contracts_dir()), contracts, DEPARTMENTS).departments
    )


def _publish(
    context: dg.AssetExecutionContext, data_dir: DataDirResource, department: str
) -> dg.MaterializeResult:
    from pipelines.lib.contracts.tables import load_table_contracts
    from pipelines.lib.publish.extracts import publish_department, withdraw_department
    from pipelines.lib.publish.manifest import MANIFEST
    from pipelines.lib.publish.policy import load_policy, policy_path

    paths = data_dir.paths
    contracts = load_table_contracts(contracts_dir())
    policy = load_policy(policy_path(contracts_dir()), contracts, DEPARTMENTS)
    grant = policy.departments.get(department)
    if grant is None:
        withdrawn = withdraw_department(paths, department)
        context.log.info(
            f"{department} is granted nothing by {policy.display}"
            + (": extract withdrawn" if withdrawn else "")
        )
        return dg.MaterializeResult(
            metadata={"granted": False, "policy_version": policy.version, "tables": 0}
        )

    publication = publish_department(
        paths, policy, grant, contracts, rewrite_all=wants_full_refresh(context.run.tags)
    )
    context.log.info(
        f"{department}: {len(publication.tables)} tables, {publication.rows:,} rows, {publication.files} files "
        f"({publication.bytes:,} bytes; {publication.carried} unchanged, carried over; "
        f"{publication.shared} written for another department alike), "
        f"personal data {grant.personal}, policy {policy.version}"
    )
    detail = "\n".join(
        ["| table | rows | files | unchanged | shared | bytes |", "|---|---:|---:|---:|---:|---:|"]
        + [
            f"| {t.name} | {t.rows:,} | {t.files} | {t.carried} | {t.shared} | {t.bytes:,} |"
            for t in publication.tables
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "tables": len(publication.tables),
            "rows": publication.rows,
            "files": publication.files,
            "bytes": publication.bytes,
            "files_carried_over": publication.carried,
            "files_shared": publication.shared,
            "personal_data": grant.personal,
            "policy_version": policy.version,
            "publication_id": publication.publication_id,
            "manifest": dg.MetadataValue.path(str(publication.folder / MANIFEST)),
            "manifest_sha256": publication.manifest_sha256,
            "published_tables": dg.MetadataValue.md(detail),
        }
    )


extract_assets: list[dg.AssetsDefinition] = [build_extract_asset(d) for d in DEPARTMENTS]
manifest_checks: list[dg.AssetChecksDefinition] = [build_manifest_check(d) for d in DEPARTMENTS]

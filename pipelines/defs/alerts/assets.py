"""CAP alerts: every message of the `warning_messages` mart (each continuing warning's Alert,
Updates and Cancel) as an OASIS CAP 1.2 file in `alerts/`.

The asset reads the live warehouse, so it runs in the `warehouse` pool: DuckDB lets no
reader open the file while a dbt step writes it (docs/architecture.md, One writer). Its check re-reads
the published folder rather than trusting the writer, which validated before writing; it
validates again only the files whose bytes it has not found valid before.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from collections.abc import Iterator

import dagster as dg

from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import WAREHOUSE_POOL, model_key
from pipelines.lib.alerts import check_published, read_messages, write_alerts
from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.contracts.shared_vocabulary import vocabulary_path
from pipelines.lib.resources import DataDirResource

CAP_ALERTS_KEY = dg.AssetKey(["alerts", "cap"])
VALID_CHECK = "valid_against_cap_1_2"


@dg.asset(
    key=CAP_ALERTS_KEY,
    deps=[model_key("warning_messages")],
    group_name="alerts",
    pool=WAREHOUSE_POOL,
    automation_condition=REFRESH_AFTER_INGESTION,
    kinds={"duckdb", "xml"},
    check_specs=[
        dg.AssetCheckSpec(
            VALID_CHECK,
            asset=CAP_ALERTS_KEY,
            description="Every published message validates against the OASIS CAP 1.2 schema, each Update and Cancel references a published message by its sender and sent time, and index.json lists exactly them.",
        )
    ],
    description="One OASIS CAP 1.2 message per row of warning_messages (Alert, Update or Cancel of a continuing warning) in alerts/<message_id>.xml, with alerts/index.json.",
)
def cap_alerts(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    paths = data_dir.paths
    messages = read_messages(paths.warehouse)
    # Addressed to the departments by the names the shared vocabulary gives them. Without a
    # valid vocabulary the alerts still go out, each department named by its identifier.
    vocabulary = shared_vocabulary(contracts_dir())
    if vocabulary is None:
        context.log.warning(
            f"{vocabulary_path(contracts_dir())} is missing or invalid (`safecity contract check` "
            "says why): alerts name their departments by identifier only"
        )
    department_names = vocabulary.department_names if vocabulary is not None else {}
    # Sent for the city of the data directory: its code names the sender, its zone the times.
    summary = write_alerts(
        messages, paths.alerts, city_profile(paths.root), department_names, paths.alerts_cache
    )
    context.log.info(
        f"{summary.alerts:,} CAP messages {summary.by_msg_type}, {summary.in_force:,} in force "
        f"({summary.written:,} written, {summary.unchanged:,} unchanged, {summary.removed:,} removed) "
        f"by level {summary.by_level}; {summary.without_circle:,} without a known place"
    )
    if summary.restated:
        context.log.info(
            f"{summary.restated:,} messages stay as sent though the warehouse now tells their day "
            "differently (evidence delivered later, a place located more precisely)"
        )
    yield dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(paths.alerts)), **summary.metadata()}
    )
    published = check_published(paths.alerts, paths.alerts_checked)
    yield dg.AssetCheckResult(
        check_name=VALID_CHECK,
        passed=not published.problems,
        metadata={
            "files": published.files,
            "problems": len(published.problems),
            "first_problems": "\n".join(published.problems[:10]) or "none",
        },
    )

"""Quality reports: one asset per department, validating its published extract with GX.

`quality_report/<department>` reads `extracts/<department>/` (the publisher's
`extracts/<department>` asset), validates every table against the suite its
warehouse contract gives, and publishes the GX data docs in
`reports/quality/<department>/`.

One check per department, `extract_meets_contracts`, rather than one per table:
the departments are known when the code location loads (the folders of
`contracts/feeds/`), but which tables a department receives is its sharing
policy's business, read from its manifest when the asset runs. A check per
possible table would have to report "passed" for tables a department never
receives. The check's metadata has the per-table figures and every failed
expectation in words; the data docs have the rest.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.feeds import DEPARTMENTS
from pipelines.defs.publish.assets import extract_key
from pipelines.lib.data_dir import DataDir
from pipelines.lib.resources import DataDirResource

if TYPE_CHECKING:
    from pipelines.lib.quality.reports import QualityReport

QUALITY_GROUP = "quality"
CHECK_NAME = "extract_meets_contracts"
_LISTED_FAILURES = 20


def quality_report_key(department: str) -> dg.AssetKey:
    return dg.AssetKey(["quality_report", department])


def build_quality_report_asset(department: str) -> dg.AssetsDefinition:
    key = quality_report_key(department)

    @dg.asset(
        key=key,
        deps=[extract_key(department)],
        group_name=QUALITY_GROUP,
        kinds={"great_expectations", "html"},
        automation_condition=REFRESH_AFTER_INGESTION,
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                description=(
                    "Every table of the extract meets its warehouse contract (columns, required, keys, "
                    "enumerations, patterns, ranges), and every masked or pseudonymised column is treated so."
                ),
            )
        ],
        description=(
            f"The quality report of {department}'s extract: Great Expectations suites derived from the "
            f"warehouse contracts, and their data docs in reports/quality/{department}/index.html."
        ),
    )
    def _quality_report(
        context: dg.AssetExecutionContext, data_dir: DataDirResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        yield from _report(context, data_dir.paths, department)

    return _quality_report


def _report(
    context: dg.AssetExecutionContext, paths: DataDir, department: str
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    # Imported when the asset runs: Great Expectations takes seconds to import.
    from pipelines.lib.contracts import contracts_dir
    from pipelines.lib.contracts.tables import load_table_contracts
    from pipelines.lib.quality.reports import NoExtractError, build_quality_report
    from pipelines.lib.quality.validation_cache import ValidationCache

    extract_dir = paths.extract(department)
    report_dir = paths.quality_report(department)
    cache = ValidationCache(paths.quality_validations)
    try:
        report = build_quality_report(
            extract_dir,
            report_dir,
            load_table_contracts(contracts_dir()),
            department=department,
            cache=cache,
        )
    except NoExtractError as missing:
        # Nothing published (yet): no report, and no stale one describing an earlier extract.
        shutil.rmtree(report_dir, ignore_errors=True)
        context.log.warning(str(missing))
        yield dg.MaterializeResult(
            metadata={"tables": 0, "extract": dg.MetadataValue.path(str(extract_dir))}
        )
        yield dg.AssetCheckResult(
            check_name=CHECK_NAME,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"No extract published for {department}: nothing to validate. A department "
                "receives an extract once contracts/sharing/policy.yaml grants it tables."
            ),
            metadata={"extract": dg.MetadataValue.path(str(extract_dir))},
        )
        return

    cache.prune()
    rows = sum(t.rows for t in report.tables)
    context.log.info(
        f"{department}: {len(report.tables)} tables ({report.validated} validated, the others "
        f"unchanged since validated), {rows:,} rows, {report.evaluated} expectations, "
        f"{report.failed} failed, {len(report.problems)} problems, in {report.seconds:.1f} s"
    )
    report_link = {
        "report": dg.MetadataValue.path(str(report.index)),
        "report_url": dg.MetadataValue.url(report.index.as_uri()),
    }
    yield dg.MaterializeResult(
        metadata={
            **report_link,
            "tables": len(report.tables),
            "tables_validated": report.validated,
            "rows": rows,
            "expectations": report.evaluated,
            "failed_expectations": report.failed,
            "validation_seconds": round(report.seconds, 2),
            "summary": dg.MetadataValue.md(_summary_table(report)),
        }
    )
    failed_tables = [t.table for t in report.tables if not t.success]
    findings = [*report.problems, *map(str, report.failures)]
    yield dg.AssetCheckResult(
        check_name=CHECK_NAME,
        passed=report.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"All {len(report.tables)} tables meet their contracts."
            if report.success
            else f"{len(failed_tables)} of {len(report.tables)} tables fail: "
            + "; ".join(findings[:3])
        ),
        metadata={
            **report_link,
            "failed_tables": ", ".join(failed_tables) or "none",
            "failed_expectations": report.failed,
            "evaluated_expectations": report.evaluated,
            "problems": len(report.problems),
            "failures": dg.MetadataValue.md(
                "\n".join(f"- {finding}" for finding in findings[:_LISTED_FAILURES])
                + (
                    f"\n- ... and {len(findings) - _LISTED_FAILURES} more"
                    if len(findings) > _LISTED_FAILURES
                    else ""
                )
                or "none"
            ),
            "per_table": dg.MetadataValue.json(
                {
                    t.table: {
                        "rows": t.rows,
                        "success": t.success,
                        "evaluated": t.evaluated,
                        "failed": t.failed,
                        "failures": [f"{f.words}; {f.observed}" for f in t.failures],
                        "page": t.validation_page,
                    }
                    for t in report.tables
                }
            ),
        },
    )


def _summary_table(report: "QualityReport") -> str:
    lines = ["| table | rows | expectations | failed | result |", "|---|---:|---:|---:|---|"]
    lines += [
        f"| {t.table} | {t.rows:,} | {t.evaluated} | {t.failed} | {'passed' if t.success else 'FAILED'} |"
        for t in report.tables
    ]
    return "\n".join(lines)


QUALITY_REPORTS: list[dg.AssetsDefinition] = [build_quality_report_asset(d) for d in DEPARTMENTS]

"""The six contract checks of an ingestion step, as Dagster asset check results.

They describe the deliveries as the department sent them (before quarantine took
the bad rows out), with counts and sample failures as metadata. A check result
stands for the asset as a whole, not for the days of the run that wrote it, so
the checks on quarantined rows judge every delivery day the lake holds now
(`lake`): re-ingesting one good day does not hide another day's bad rows. What
the lake does not keep (changed columns, unreadable or missing files, late rows)
is judged on the files the step read (`run`). All are
warnings except two errors: a file that cannot be read at all (schema_conforms),
and a quarantine rate surely past the contract's threshold, where the delivery
is unusable (over it by a few rows of a small delivery, it is a warning).
"""

# No `from __future__ import annotations`: check specs are built at import time.
import dagster as dg
import polars as pl

from pipelines.lib.ingest.masking import masked_original
from pipelines.lib.ingest.summary import REQUIRED_RULES, STANDARD_RULES, IngestionSummary

CHECKS = {
    "schema_conforms": "Every delivered file has the contracted columns (known aliases allowed) and no others.",
    "required_columns_complete": "Every required value is present.",
    "keys_unique": "No key is delivered twice, within a file or across deliveries.",
    "standards_valid": "Identity numbers, credit codes, admin codes, coordinates and dates meet the standards.",
    "quarantine_rate_under_threshold": "The share of rows quarantined stays under the contract's threshold.",
    "delivered_on_time": "A file arrived for every delivery day, and no record is older than the SLA allows.",
}


def check_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(name, asset=asset_key, description=text) for name, text in CHECKS.items()
    ]


def check_results(run: IngestionSummary, lake: IngestionSummary) -> list[dg.AssetCheckResult]:
    """`run`: the files this step read; `lake`: every day the feed's lake holds now."""
    required = lake.count(REQUIRED_RULES)
    duplicates = lake.count(("duplicate_key",))
    standards = {rule: lake.rules[rule] for rule in STANDARD_RULES if lake.rules[rule]}
    structural = {
        rule: n
        for rule, n in lake.rules.items()
        if rule in ("row_malformed", "encoding_invalid", "row_too_long")
    }
    drifted = [c for c in run.schema_changes if c["missing"] or c["unexpected"]]
    contract = run.contract
    return [
        result(
            "schema_conforms",
            not drifted and not structural and not run.unreadable,
            {
                "files_with_changed_columns": len(drifted),
                "malformed_rows": dg.MetadataValue.json(structural) if structural else 0,
                "unreadable_files": dg.MetadataValue.md("\n".join(f"- {u}" for u in run.unreadable))
                if run.unreadable
                else 0,
                "files_with_renamed_columns": sum(1 for c in run.schema_changes if c["renamed"]),
                "changes": dg.MetadataValue.json(run.schema_changes)
                if run.schema_changes
                else "none",
            },
            # A file nobody can read is lost data until the department re-sends it.
            severity=dg.AssetCheckSeverity.ERROR if run.unreadable else dg.AssetCheckSeverity.WARN,
            description="\n".join(
                [
                    f"{len(run.unreadable)} delivery file(s) could not be read at all:",
                    *run.unreadable,
                    f"ask {contract.department} to send them again; the next run ingests them",
                ]
            )
            if run.unreadable
            else None,
        ),
        result(
            "required_columns_complete",
            required == 0,
            {"rows_missing_required_values": required, **samples(lake, REQUIRED_RULES)},
        ),
        result(
            "keys_unique",
            duplicates == 0,
            {"duplicate_rows": duplicates, **samples(lake, ("duplicate_key",))},
        ),
        result(
            "standards_valid",
            not standards,
            {
                "rows_failing_standards": sum(standards.values()),
                "by_rule": dg.MetadataValue.json(standards or {}),
                **samples(lake, STANDARD_RULES),
            },
        ),
        quarantine_rate(lake),
        result(
            "delivered_on_time",
            not run.missing_deliveries and run.late_rows == 0,
            timeliness(run),
        ),
    ]


def quarantine_rate(summary: IngestionSummary) -> dg.AssetCheckResult:
    """An error when the rows leave no doubt that the share quarantined is over the threshold
    (the deliveries are unusable, and the run fails); a warning when it is over by a few rows of
    small deliveries, which chance explains as well. Over every day the lake holds."""
    contract = summary.contract
    threshold = contract.quarantine_threshold
    over = summary.quarantine_rate > threshold
    surely = summary.quarantine_rate_surely_over(threshold)
    description = None
    if over:
        description = (
            f"{summary.quarantine_rate:.1%} of {summary.landed:,} rows quarantined, over the "
            f"contract's {threshold:.1%}"
            + (f" (mostly {_top_rule(summary)})" if summary.rule_columns else "")
            + (
                f": see lake/quarantine/{contract.department}/{contract.feed}/ and ask "
                f"{contract.department} to correct and deliver again"
                if surely
                else ": too few rows to call the delivery unusable; a warning"
            )
        )
    return result(
        "quarantine_rate_under_threshold",
        not over,
        {
            "quarantine_rate": round(summary.quarantine_rate, 5),
            "threshold": threshold,
            "quarantined": summary.quarantined,
            "landed": summary.landed,
            "delivery_days": len(summary.days),
            "surely_over_threshold": surely,
        },
        severity=dg.AssetCheckSeverity.ERROR if surely or not over else dg.AssetCheckSeverity.WARN,
        description=description,
    )


def timeliness(summary: IngestionSummary) -> dict:
    """Missing deliveries first when there are any: the first figure is the one that failed."""
    late = {
        "late_rows": summary.late_rows,
        "late_share": round(summary.late_rows / summary.landed, 5) if summary.landed else 0.0,
        "latency_days": summary.contract.sla.latency_days,
    }
    missing = {"missing_deliveries": [d.isoformat() for d in summary.missing_deliveries] or "none"}
    return {**missing, **late} if summary.missing_deliveries else {**late, **missing}


def result(
    name: str,
    passed: bool,
    metadata: dict,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN,
    description: str | None = None,
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        passed=bool(passed),
        metadata=metadata,
        severity=severity,
        description=description,
    )


def _top_rule(summary: IngestionSummary) -> str:
    """The rule and column that quarantined the most rows, e.g. `pattern_mismatch` on `plate`."""
    (rule, column), rows = summary.rule_columns.most_common(1)[0]
    return f"{rule}" + (f" on {column}" if column else "") + f", {rows:,} row{'s' * (rows != 1)}"


def samples(summary: IngestionSummary, rules: tuple[str, ...]) -> dict:
    failed = summary.sample_failures(rules)
    if failed is None:
        return {}
    # The rows as delivered, but the event log keeps no personal value: masked as extracts are.
    shown = failed.select("_source_file", "_source_row", "rule", "column", "original").with_columns(
        pl.col("original").map_elements(
            lambda text: masked_original(summary.contract, text), return_dtype=pl.String
        )
    )
    return {"sample_failures": dg.MetadataValue.md(markdown(shown))}


def markdown(frame: pl.DataFrame, width: int = 80) -> str:
    """A small table for the UI; long values cut, pipes escaped (values are shown, never interpreted)."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text if len(text) <= width else text[: width - 1] + "…"
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows])

"""Materialise every asset on one data directory, printing progress and a summary.

This executes the code location's implicit asset job, the one the UI's
"Materialize all" launches, against a persistent instance, so the run is listed
in the UI afterwards. Steps run in this process (in dependency order, one at a
time), which keeps DuckDB to one writer and short runs short.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import dagster as dg

from pipelines.defs.warehouse.dbt_args import FULL_REFRESH_TAG
from pipelines.lib.data_dir import DataDir
from pipelines.lib.resources import data_dir_run_config

if TYPE_CHECKING:
    # Not exported by dagster; used for typing only.
    from dagster._core.execution.plan.objects import StepFailureData

# Metadata shown in the summary: numbers and short text. Tables, markdown and
# JSON are for the UI.
_SHORT_TEXT = 60


@dataclass
class StepFailure:
    step_key: str
    message: str  # one line; the full error is in the UI, or printed with --verbose


@dataclass
class CheckOutcome:
    key: dg.AssetCheckKey
    passed: bool
    severity: dg.AssetCheckSeverity
    metadata: Mapping[str, dg.MetadataValue]
    description: str | None


@dataclass
class RunReport:
    run_id: str
    success: bool
    elapsed: float
    asset_keys: list[dg.AssetKey]
    check_keys: list[dg.AssetCheckKey]
    step_of: dict[dg.AssetKey | dg.AssetCheckKey, str]
    materialized: dict[dg.AssetKey, Mapping[str, dg.MetadataValue]] = field(default_factory=dict)
    checks: dict[dg.AssetCheckKey, CheckOutcome] = field(default_factory=dict)
    failures: dict[str, StepFailure] = field(default_factory=dict)
    run_error: str | None = None
    run_ids: list[str] = field(default_factory=list)

    def asset_status(self, key: dg.AssetKey) -> str:
        if key in self.materialized:
            return "materialized"
        if self.step_of.get(key) in self.failures:
            return "FAILED"
        return "not run"


def run_config_for(data_dir: DataDir, *, verbose: bool) -> dict[str, object]:
    config = data_dir_run_config(data_dir.root)
    # Dagster's console logger prints every event; the progress lines replace it.
    config["loggers"] = {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}
    return config


@dataclass(frozen=True)
class Phase:
    """One run: some assets, for some partitions (None: unpartitioned)."""

    asset_keys: list[dg.AssetKey]
    partition_range: tuple[str, str] | None = None


def plan_phases(defs: dg.Definitions, partition_range: tuple[str, str] | None) -> list[Phase]:
    """Three runs in dependency order: what needs no delivery day (the landing inventory);
    the delivery days, as one single-run backfill over the range; then everything built on
    them (the warehouse). Assets computed by one step (the dbt models) stay in one run."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.toposorted_asset_keys if k in graph.materializable_asset_keys]
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    after = {
        k for k in keys if k not in partitioned and graph.get_ancestor_asset_keys(k) & partitioned
    }
    step_of = {
        key: assets_def.node_def.name
        for assets_def in graph.assets_defs
        if assets_def.is_executable
        for key in assets_def.keys
    }
    after_steps = {step_of[k] for k in after}
    after |= {k for k in keys if k not in partitioned and step_of.get(k) in after_steps}
    phases = [Phase([k for k in keys if k not in partitioned and k not in after])]
    if partition_range is not None:
        phases.append(Phase([k for k in keys if k in partitioned], partition_range))
    phases.append(Phase([k for k in keys if k in after]))
    return [phase for phase in phases if phase.asset_keys]


def materialize_all(
    defs: dg.Definitions,
    data_dir: DataDir,
    instance: dg.DagsterInstance,
    out: TextIO,
    *,
    partition_range: tuple[str, str] | None,
    full_refresh: bool = False,
    verbose: bool = False,
) -> RunReport:
    """Materialise every asset: what is not partitioned, then every partition in `partition_range`
    (None: no delivery day to ingest), then what is built on them. `full_refresh` rebuilds the
    warehouse's incremental models from every day."""
    job = defs.resolve_implicit_global_asset_job_def()
    asset_graph = defs.resolve_asset_graph()
    step_of: dict[dg.AssetKey | dg.AssetCheckKey, str] = {}
    for assets_def in asset_graph.assets_defs:
        if not assets_def.is_executable:  # external sources (the landing feeds) have no step
            continue
        for key in [*assets_def.keys, *assets_def.check_keys]:
            step_of[key] = assets_def.node_def.name

    phases = plan_phases(defs, partition_range)
    report = RunReport(
        run_id="",
        success=True,
        elapsed=0.0,
        asset_keys=[key for phase in phases for key in phase.asset_keys],
        check_keys=sorted(asset_graph.asset_check_keys, key=lambda key: key.to_user_string()),
        step_of=step_of,
    )
    progress = _Progress(report, out)
    if partition_range is None:
        progress._line("no delivery new or changed since the last run: nothing to ingest")
    for phase in phases:
        # The run id is chosen here so the listener is registered before the first event.
        run_id = str(uuid.uuid4())
        report.run_ids.append(run_id)
        instance.add_event_listener(run_id, progress.on_event)
        tags = {"safecity/launched_by": "safecity run", "safecity/data_dir": str(data_dir.root)}
        if full_refresh:
            tags[FULL_REFRESH_TAG] = "true"
        if phase.partition_range is not None:
            first, last = phase.partition_range
            progress._line(f"delivery days {first} .. {last}")
            tags |= {
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            }
        result = job.execute_in_process(
            run_config=run_config_for(data_dir, verbose=verbose),
            instance=instance,
            run_id=run_id,
            raise_on_error=False,
            tags=tags,
            asset_selection=phase.asset_keys,
        )
        report.success = report.success and result.success
        if not result.success:
            break  # later phases read what earlier ones wrote
    report.run_id = ", ".join(report.run_ids)
    report.elapsed = time.monotonic() - progress.started
    return report


class _Progress:
    """One line per step start and end, plus the steps' own log lines (their progress)."""

    def __init__(self, report: RunReport, out: TextIO) -> None:
        self.report = report
        self.out = out
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}

    def on_event(self, entry: dg.EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None:
            # A step's context.log line: INFO and above is how long steps show progress.
            if entry.step_key and _level(entry.level) >= _level("INFO"):
                self._line(f"      {entry.step_key}: {entry.user_message}")
            return
        step = event.step_key or ""
        if event.is_step_start:
            self.step_started[step] = time.monotonic()
            self._line(f"start {step}")
        elif event.is_step_success:
            self._line(f"done  {step} ({_seconds(self._step_elapsed(step))})")
        elif event.is_step_skipped:
            self._line(f"skip  {step}")
        elif event.is_step_up_for_retry:
            self._line(f"retry {step}")
        elif event.is_step_failure:
            failure = _step_failure(step, event.step_failure_data)
            self.report.failures[step] = failure
            # With --verbose, Dagster's console logger prints the full error and stack.
            self._line(f"FAIL  {step} ({_seconds(self._step_elapsed(step))}): {failure.message}")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            self.report.materialized[materialization.asset_key] = materialization.metadata
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            key = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
            self.report.checks[key] = CheckOutcome(
                key=key,
                passed=evaluation.passed,
                severity=evaluation.severity,
                metadata=evaluation.metadata,
                description=evaluation.description,
            )
        elif event.is_run_failure and not self.report.failures:
            # A failure outside any step (e.g. the run could not start).
            self.report.run_error = _first_line(event.message or "run failed")

    def _step_elapsed(self, step: str) -> float:
        return time.monotonic() - self.step_started.get(step, self.started)

    def _line(self, text: str) -> None:
        self.out.write(f"[{_seconds(time.monotonic() - self.started):>7}] {text}\n")
        self.out.flush()


def _step_failure(step: str, data: StepFailureData) -> StepFailure:
    user_failure = data.user_failure_data
    error = data.error
    if user_failure is not None and user_failure.description:
        # A dagster.Failure raised on purpose: its description is the message.
        return StepFailure(step, _first_line(user_failure.description))
    if error is not None:
        # The step error wraps the user's exception as its cause: show that one.
        cause = error.cause or error
        return StepFailure(step, _first_line(cause.message))
    return StepFailure(step, "step failed")


def print_summary(report: RunReport, data_dir: DataDir, dagster_home: Path, out: TextIO) -> None:
    outcome = "succeeded" if report.success else "FAILED"
    out.write(f"\nsafecity run {outcome} in {_seconds(report.elapsed)} (run {report.run_id})\n")

    out.write("\nassets\n")
    # dbt models are many and say little each: one line per layer unless one failed.
    dbt_models = [k for k in report.asset_keys if "unique_id" in report.materialized.get(k, {})]
    shown = [
        k
        for k in report.asset_keys
        if k not in dbt_models or report.asset_status(k) != "materialized"
    ]
    width = max((len(key.to_user_string()) for key in shown), default=0)
    for key in shown:
        status = report.asset_status(key)
        if status == "FAILED":
            detail = report.failures[report.step_of[key]].message
        else:
            detail = _metadata_line(report.materialized.get(key, {}))
        line = f"  {key.to_user_string():<{width}}  {status:<12}  {detail}"
        out.write(line.rstrip() + "\n")
    layers: dict[str, int] = {}
    for key in dbt_models:
        layers[key.path[0]] = layers.get(key.path[0], 0) + 1
    if layers:
        out.write(
            "  dbt models materialized: "
            + ", ".join(f"{layer} {n}" for layer, n in layers.items())
            + "\n"
        )
    tables = {
        label.removeprefix("rows/"): value.value
        for metadata in report.materialized.values()
        for label, value in metadata.items()
        if label.startswith("rows/")
    }
    if tables:
        out.write("\nwarehouse tables (rows, in the analytics copy)\n")
        width = max(len(name) for name in tables)
        for name, rows in tables.items():
            out.write(f"  {name:<{width}}  {rows:>12,}\n")

    if report.check_keys:
        out.write("\nchecks (passed of those run, per asset; failures with their first figure)\n")
        by_asset: dict[dg.AssetKey, list[dg.AssetCheckKey]] = {}
        for key in report.check_keys:
            by_asset.setdefault(key.asset_key, []).append(key)
        width = max(len(asset.to_user_string()) for asset in by_asset)
        for asset, keys in sorted(by_asset.items(), key=lambda item: item[0].to_user_string()):
            outcomes = [(key, *_check_line(report, key)) for key in keys]
            ran = [o for o in outcomes if o[1] != "not run"]
            passed = sum(1 for _, outcome_text, _ in ran if outcome_text == "passed")
            failures = [
                f"{key.name} [{outcome_text.removeprefix('failed/')}]"
                + (f" {detail.split(' · ')[0]}" if detail else "")
                for key, outcome_text, detail in outcomes
                if outcome_text != "passed"
            ]
            line = f"  {asset.to_user_string():<{width}}  {passed}/{len(ran)}"
            if failures:
                line += "  " + "; ".join(failures)
            out.write(line.rstrip() + "\n")

    if report.run_error:
        out.write(f"\nerror: {report.run_error}\n")

    out.write("\nwhere to look\n")
    for label, path in _data_dir_parts(data_dir):
        if path.exists():
            out.write(f"  {label:<12}{path}\n")
    # On a line of its own, so that it can be copied whole.
    out.write("\nDagster UI (this run and its checks), from the repository root:\n")
    out.write(
        f"  SAFECITY_DATA_DIR={data_dir.root} DAGSTER_HOME={dagster_home} uv run dagster dev\n"
    )
    out.write("  (for the default data/ directory: make dev)\n")


def _check_line(report: RunReport, key: dg.AssetCheckKey) -> tuple[str, str]:
    outcome = report.checks.get(key)
    if outcome is None:
        failure = report.failures.get(report.step_of.get(key, ""))
        return ("failed/FAILED", failure.message) if failure else ("not run", "")
    if outcome.passed:
        return "passed", _metadata_line(outcome.metadata)
    severity = "WARN" if outcome.severity == dg.AssetCheckSeverity.WARN else "ERROR"
    return f"failed/{severity}", _metadata_line(outcome.metadata)


def _data_dir_parts(data_dir: DataDir) -> list[tuple[str, Path]]:
    return [
        ("landing", data_dir.landing),
        ("bronze", data_dir.bronze),
        ("quarantine", data_dir.quarantine),
        ("warehouse", data_dir.warehouse),
        ("analytics", data_dir.analytics),
        ("extracts", data_dir.extracts),
        ("reports", data_dir.reports),
        ("alerts", data_dir.alerts),
    ]


def _metadata_line(metadata: Mapping[str, dg.MetadataValue]) -> str:
    parts = []
    for label, value in metadata.items():
        label = label.removeprefix("dagster/")
        raw = value.value
        if isinstance(raw, bool):
            parts.append(f"{label} {str(raw).lower()}")
        elif label.startswith("rows/"):
            continue  # listed in the warehouse table section
        elif isinstance(raw, int):
            parts.append(f"{label} {raw:,}")
        elif isinstance(raw, float):
            parts.append(f"{label} {raw:,.4g}")
        elif isinstance(value, dg.TextMetadataValue) and len(raw) <= _SHORT_TEXT:
            parts.append(f"{label} {raw}")
    return " · ".join(parts)


def _level(level: str | int) -> int:
    return level if isinstance(level, int) else logging.getLevelName(level.upper())


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"

"""Materialise every asset on one data directory: progress on the console, every detail in a log.

This runs the code location's named jobs (pipelines/defs/jobs.py) against a persistent
instance, each run recorded as the UI records the runs it launches (pipelines/lib/workspace.py):
the UI lists them with their job, on its timeline, and can re-execute a failed one from
failure. Steps run in this process (in dependency order, one at a time), which keeps DuckDB
to one writer and short runs short.

A failure stays where it happened: a phase runs whatever failed in the phase
before it (the warehouse builds from what the lake holds), and inside a phase
Dagster skips only what is downstream of a failed step.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster._core.events import RunFailureReason  # not exported by dagster
from dagster._utils.interrupts import check_captured_interrupt

from pipelines.defs.interrupts import INTERRUPTS
from pipelines.defs.jobs import INGESTION_JOB, LANDING_JOB, WAREHOUSE_JOB
from pipelines.lib.data_dir import DataDir
from pipelines.lib.dbt_args import FULL_REFRESH_TAG
from pipelines.lib.progress import Progress, parse_progress
from pipelines.lib.resources import data_dir_run_config
from pipelines.lib.run_log import RunLog
from pipelines.lib.stale_runs import (
    LAUNCHED_BY_TAG,
    describe_holder,
    release_dead_runs,
    this_process_tags,
)

if TYPE_CHECKING:
    # Not exported by dagster; used for typing only.
    from dagster._core.definitions.repository_definition import RepositoryDefinition
    from dagster._core.execution.plan.objects import StepFailureData

    from pipelines.lib.workspace import CodeLocation

EntityKey = dg.AssetKey | dg.AssetCheckKey
# the interrupts by name, as a step failure records its error
_INTERRUPTS = {cls.__name__ for cls in INTERRUPTS}
_QUALIFIED_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*:)")


@dataclass(frozen=True)
class Stage:
    """A stage of the pipeline as a person follows it: a name, and what its assets are."""

    name: str
    unit: str


# The first part of an asset key -> its stage. dbt's models are the warehouse stage, whatever
# their schema; anything not listed is a stage named by its key.
_STAGES = {
    "landing_inventory": Stage("landing", "inventory"),
    "bronze": Stage("ingestion", "feeds"),
    "reports": Stage("scorecard", "scorecard"),
    "linkage": Stage("linkage", "stages"),
    "alerts": Stage("alerts", "alert sets"),
    "analytics_copy": Stage("analytics copy", "copy"),
    "extracts": Stage("publishing", "departments"),
    "quality_report": Stage("quality reports", "departments"),
}
_DBT_STAGE = Stage("warehouse", "dbt models")
_INGESTION = "bronze"


def stage_of(key: dg.AssetKey, kinds: set[str]) -> Stage:
    if "dbt" in kinds:
        return _DBT_STAGE
    return _STAGES.get(key.path[0], Stage(key.path[0], "assets"))


class RunInterrupted(Exception):
    """SIGINT or SIGTERM stopped the run: its Dagster run is over (failed) and holds no slot."""

    def __init__(self, run_id: str, where: str) -> None:
        super().__init__(f"run {run_id} stopped {where}")
        self.run_id = run_id
        self.where = where


@dataclass
class StepFailure:
    step_key: str
    builds: str  # what the step builds, as a person reads it
    message: str  # one line; the full error is in the log, the UI, or printed with --verbose


@dataclass
class CheckOutcome:
    key: dg.AssetCheckKey
    passed: bool
    severity: dg.AssetCheckSeverity
    metadata: Mapping[str, dg.MetadataValue]
    description: str | None

    @property
    def is_error(self) -> bool:
        return not self.passed and self.severity == dg.AssetCheckSeverity.ERROR

    @property
    def is_warning(self) -> bool:
        return not self.passed and self.severity == dg.AssetCheckSeverity.WARN


@dataclass
class RunReport:
    elapsed: float
    asset_keys: list[dg.AssetKey]
    check_keys: list[dg.AssetCheckKey]
    step_of: dict[EntityKey, str]  # asset or check -> the name of the node that builds it
    stages: dict[dg.AssetKey, Stage]
    log_path: Path | None = None
    planned: list[dg.AssetKey] = field(default_factory=list)  # in the order they were planned
    # A partitioned asset's figures over the partitions the run materialised (range_figures).
    materialized: dict[dg.AssetKey, Mapping[str, dg.MetadataValue]] = field(default_factory=dict)
    checks: dict[dg.AssetCheckKey, CheckOutcome] = field(default_factory=dict)
    failures: dict[str, StepFailure] = field(default_factory=dict)
    failed_assets: set[dg.AssetKey] = field(default_factory=set)  # built by a failed step
    skipped_assets: set[dg.AssetKey] = field(default_factory=set)  # downstream of a failure
    # Whose step succeeded and materialised nothing: an ingestion asset none of the run's days
    # delivered for (its partitions stay missing: pipelines/defs/ingest/partitions.py).
    not_delivered: set[dg.AssetKey] = field(default_factory=set)
    run_error: str | None = None
    notes: list[str] = field(default_factory=list)  # phases not run, and why
    run_ids: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return ", ".join(self.run_ids)

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        """Checks that failed as errors: each makes the run fail."""
        return [c for c in self._checks_in_order() if c.is_error]

    @property
    def warnings(self) -> list[CheckOutcome]:
        return [c for c in self._checks_in_order() if c.is_warning]

    @property
    def success(self) -> bool:
        return not self.failures and not self.run_error and not self.failed_checks

    def asset_status(self, key: dg.AssetKey) -> str:
        if key in self.materialized:
            return "materialized"
        if key in self.not_delivered:
            return "no delivery"
        if key in self.failed_assets or self.step_of.get(key) in self.failures:
            return "FAILED"
        if key in self.skipped_assets:
            return "skipped"
        return "not run"

    def _checks_in_order(self) -> list[CheckOutcome]:
        return sorted(self.checks.values(), key=lambda c: c.key.to_user_string())


def run_config_for(data_dir: DataDir, *, verbose: bool) -> dict[str, object]:
    config = data_dir_run_config(data_dir.root)
    # Dagster's console logger prints every event; the progress lines and the log file replace it.
    config["loggers"] = {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}
    return config


@dataclass(frozen=True)
class Phase:
    """One run of a named job: its assets, for some partitions (None: unpartitioned)."""

    job_name: str
    asset_keys: list[dg.AssetKey]
    partition_range: tuple[str, str] | None = None
    builds_on_the_lake: bool = False  # the warehouse and what follows: needs ingested data


def plan_phases(
    definitions: RepositoryDefinition, partition_range: tuple[str, str] | None
) -> list[Phase]:
    """Three runs of the code location's named jobs (pipelines/defs/jobs.py), in dependency
    order: what needs no delivery day (the landing inventory); the delivery days, as one
    single-run backfill over the range (None: no run); then everything built on them."""
    graph = definitions.asset_graph
    keys = [k for k in graph.toposorted_asset_keys if k in graph.materializable_asset_keys]

    def assets_of(job_name: str) -> list[dg.AssetKey]:
        if not definitions.has_job(job_name):
            raise ValueError(f"the code location has no job {job_name!r} (pipelines/defs/jobs.py)")
        job = definitions.get_job(job_name)
        if job.executor_def.name != dg.in_process_executor.name:
            # DuckDB takes one writer, and a short run should not start a process per step.
            raise ValueError(
                f"job {job_name!r} must run its steps in process (in_process_executor)"
            )
        selected = job.asset_layer.executable_asset_keys
        return [k for k in keys if k in selected]

    phases = [Phase(LANDING_JOB, assets_of(LANDING_JOB))]
    if partition_range is not None:
        phases.append(Phase(INGESTION_JOB, assets_of(INGESTION_JOB), partition_range))
    phases.append(Phase(WAREHOUSE_JOB, assets_of(WAREHOUSE_JOB), builds_on_the_lake=True))
    return [phase for phase in phases if phase.asset_keys]


def materialize_all(
    location: CodeLocation,
    data_dir: DataDir,
    instance: dg.DagsterInstance,
    progress: Progress,
    log: RunLog,
    *,
    partition_range: tuple[str, str] | None,
    full_refresh: bool = False,
    verbose: bool = False,
) -> RunReport:
    """Materialise every asset of the code location `location`, by running its named jobs: what
    is not partitioned, then every partition in `partition_range` (None: no delivery day to
    ingest), then what is built on them. `full_refresh` rebuilds the warehouse's incremental
    models from every day. Milestones go to `progress`, every event to `log`."""
    definitions = location.definitions()
    asset_graph = definitions.asset_graph
    step_of: dict[EntityKey, str] = {}
    for assets_def in asset_graph.assets_defs:
        if not assets_def.is_executable:  # external sources (the landing feeds) have no step
            continue
        entities: list[EntityKey] = [*assets_def.keys, *assets_def.check_keys]
        for entity in entities:
            step_of[entity] = assets_def.node_def.name

    phases = plan_phases(definitions, partition_range)
    asset_keys = [key for phase in phases for key in phase.asset_keys]
    report = RunReport(
        elapsed=0.0,
        asset_keys=asset_keys,
        check_keys=sorted(asset_graph.asset_check_keys, key=lambda key: key.to_user_string()),
        step_of=step_of,
        stages={key: stage_of(key, set(asset_graph.get(key).kinds)) for key in asset_keys},
        log_path=log.path,
    )
    # A run killed before this one may still hold the warehouse slot: this run would wait for it
    # forever (docs/architecture.md, Runs that die).
    for line in release_dead_runs(instance):
        progress.milestone(line)
    if partition_range is None:
        progress.milestone("no delivery new or changed since the last run: nothing to ingest")
    for phase in phases:
        if phase.builds_on_the_lake and not _lake_holds_deliveries(data_dir):
            note = "warehouse and what follows not built: the lake holds no ingested delivery"
            report.notes.append(note)
            progress.milestone(note)
            continue
        # The run id is chosen here so the listener is registered before the first event.
        run_id = str(uuid.uuid4())
        report.run_ids.append(run_id)
        watcher = _RunWatcher(report, progress, log, instance)
        instance.add_event_listener(run_id, watcher.on_event)
        tags = {
            LAUNCHED_BY_TAG: "safecity run",
            "safecity/data_dir": str(data_dir.root),
            **this_process_tags(),  # so that a later run can tell this one died
        }
        if full_refresh:
            tags[FULL_REFRESH_TAG] = "true"
        if phase.partition_range is not None:
            first, last = phase.partition_range
            feeds = sum(1 for key in phase.asset_keys if key.path[0] == _INGESTION)
            progress.milestone(f"ingestion: {feeds} feeds, delivery days {first} .. {last}")
            tags |= {
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            }
        try:
            with _SlotWaitWatch(instance, run_id, progress):
                run = location.create_run(
                    instance,
                    phase.job_name,
                    run_id=run_id,
                    run_config=run_config_for(data_dir, verbose=verbose),
                    tags=tags,
                )
                location.execute(instance, run)
        except KeyboardInterrupt:
            # Interrupted before Dagster took over the signals (or after): the run may be unfinished.
            watcher.interrupted = True
        finally:
            _release(instance, run_id, interrupted=watcher.interrupted)
        if watcher.interrupted:
            progress.close()
            raise RunInterrupted(run_id, watcher.where())
        watcher.finish()
        # No break on failure: the next phase builds from what the lake holds, so one
        # feed's failed ingestion leaves every other department's stages to run.
    report.elapsed = progress.elapsed()
    progress.close()
    return report


def _release(instance: dg.DagsterInstance, run_id: str, *, interrupted: bool) -> None:
    """Leave nothing claimed by a run that is over: Dagster frees a step's slot when the step
    ends, not when an interrupt or an error ends the run."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        reason = "interrupted (SIGINT or SIGTERM)" if interrupted else "ended without a verdict"
        instance.report_run_failed(run, f"safecity run {reason}; marked failed.")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


class _SlotWaitWatch:
    """While a run executes: when one of its steps has waited a few seconds for a pool slot, say
    who holds it, once per holder. A holder whose process died meanwhile is released
    (marked failed, its slot freed), so the wait ends."""

    POLL_SECONDS = 1.0
    QUIET_SECONDS = 3.0  # a wait shorter than this is a turn in the pool, not worth a line

    def __init__(self, instance: dg.DagsterInstance, run_id: str, progress: Progress) -> None:
        self.instance = instance
        self.run_id = run_id
        self.progress = progress
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="slot-wait-watch", daemon=True)
        self.told: set[tuple[str, str, str]] = set()

    def __enter__(self) -> _SlotWaitWatch:
        if self.instance.event_log_storage.supports_global_concurrency_limits:
            self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _watch(self) -> None:
        waiting_since: dict[tuple[str, str], float] = {}
        while not self.stop.wait(self.POLL_SECONDS):
            try:
                self._check(waiting_since)
            except Exception as error:  # the watch only informs: never let it stop the run
                self.progress.milestone(f"note: could not check the pool slots: {error}")
                return

    def _check(self, waiting_since: dict[tuple[str, str], float]) -> None:
        storage = self.instance.event_log_storage
        now = self.progress.elapsed()
        for pool in storage.get_concurrency_keys():
            info = storage.get_concurrency_info(pool)
            mine = {p.step_key for p in info.pending_steps if p.run_id == self.run_id}
            mine -= {s.step_key for s in info.claimed_slots if s.run_id == self.run_id}
            if mine and check_captured_interrupt():
                # Dagster's in-process executor looks at a captured SIGINT or SIGTERM only when a
                # step starts, never while a step waits for a slot: the wait would outlast it.
                _interrupt_main_thread()
                return
            for step in mine:
                since = waiting_since.setdefault((pool, step), now)
                if now - since < self.QUIET_SECONDS:
                    continue
                for line in release_dead_runs(self.instance):
                    self.progress.milestone(line)
                holders = [s for s in info.claimed_slots if s.run_id != self.run_id]
                for slot in holders:
                    told = (step, slot.run_id, slot.step_key)
                    if told in self.told:
                        continue
                    self.told.add(told)
                    holder = describe_holder(self.instance, slot.run_id, slot.step_key)
                    self.progress.milestone(
                        f"{step} waits for a slot in the {pool} pool, held by {holder}; "
                        "it goes on when that run ends"
                    )


def _interrupt_main_thread() -> None:
    """Raise KeyboardInterrupt in the main thread, where the run executes."""
    main = threading.main_thread().ident
    if main is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(main), ctypes.py_object(KeyboardInterrupt)
        )


def _lake_holds_deliveries(data_dir: DataDir) -> bool:
    """Whether any feed was ever ingested (its schema file or a day's partition is in bronze)."""
    bronze = data_dir.bronze
    return bronze.exists() and any(True for _ in bronze.glob("*/*/*/*.parquet"))


class _RunWatcher:
    """Turns one run's events into the report, progress on the console, and lines in the log."""

    def __init__(
        self, report: RunReport, progress: Progress, log: RunLog, instance: dg.DagsterInstance
    ) -> None:
        self.report = report
        self.progress = progress
        self.log = log
        self.instance = instance
        self.step_entities: dict[str, set[EntityKey]] = {}
        self.planned: dict[Stage, list[dg.AssetKey]] = {}  # this run's assets, stage by stage
        self.done: dict[Stage, set[dg.AssetKey]] = {}
        self.announced: set[Stage] = set()
        self.current: dict[Stage, str] = {}  # what each stage is busy with, for the status line
        self.order = {key: i for i, key in enumerate(report.asset_keys)}
        self.interrupted = False  # SIGINT or SIGTERM ended the run
        self.running: dict[str, None] = {}  # steps started and not ended, in order

    def where(self) -> str:
        """Where the run was when it stopped, for a person: the stage and what it was building."""
        if not self.running:
            return "between steps"
        step = next(reversed(self.running))
        stage = self._stage_of_step(step)
        return f"during {stage.name if stage else 'the run'} ({self._builds(step)})"

    def on_event(self, entry: dg.EventLogEntry) -> None:
        self._log(entry)
        event = entry.dagster_event
        if event is None:
            # A step's own log line: "[i/n] ..." says how far the step has got.
            if entry.step_key and (found := parse_progress(entry.user_message)):
                done, total, _ = found
                stage = self._stage_of_step(entry.step_key)
                if stage is not None:
                    self.current[stage] = f"{self._builds(entry.step_key)} {done}/{total}"
                    self._show(stage)
            return
        step = event.step_key or ""
        if event.event_type == dg.DagsterEventType.RUN_START:
            self._load_plan(entry.run_id)
        elif event.is_step_start:
            self.running[step] = None
            stage = self._stage_of_step(step)
            if stage is not None:
                self.current[stage] = self._builds(step)
                self._show(stage)
        elif event.is_step_success:
            self.running.pop(step, None)
            self._note_not_delivered(step)
            # A stage is announced when its last step ends, after the checks that step ran.
            stage = self._stage_of_step(step)
            if stage is not None:
                self._show(stage, may_announce=True)
        elif event.is_step_failure and _is_interrupt(event.step_failure_data):
            self.interrupted = True  # one line says so, once the run is over (RunInterrupted)
        elif event.is_step_failure:
            self.running.pop(step, None)
            failure = _step_failure(step, self._builds(step), event.step_failure_data)
            self.report.failures[step] = failure
            self.progress.milestone(f"FAILED {failure.builds}: {failure.message}")
            self._settle(step, self.report.failed_assets)
        elif event.is_step_skipped:
            self._settle(step, self.report.skipped_assets)
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            key = materialization.asset_key
            metadata = materialization.metadata
            if materialization.partition is not None and key in self.report.materialized:
                # One event per delivery day, each with its own day's figures: the run's are
                # their sum.
                metadata = range_figures(self.report.materialized[key], metadata)
            self.report.materialized[key] = metadata
            stage = self.report.stages.get(key)
            if stage is not None:
                self.done.setdefault(stage, set()).add(key)
                if stage == _DBT_STAGE:
                    self.current[stage] = key.to_user_string()
                self._show(stage)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            check = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
            outcome = CheckOutcome(
                key=check,
                passed=evaluation.passed,
                severity=evaluation.severity,
                metadata=evaluation.metadata,
                description=evaluation.description,
            )
            self.report.checks[check] = outcome
            if outcome.is_error:
                self.progress.milestone(
                    f"check FAILED {check.asset_key.to_user_string()} · {check.name}: "
                    + check_reason(outcome).splitlines()[0].rstrip(":")
                )
        elif (
            event.is_run_failure
            and event.job_failure_data is not None
            and event.job_failure_data.failure_reason == RunFailureReason.UNEXPECTED_TERMINATION
        ):
            self.interrupted = True
        elif event.is_run_failure and not self.report.failures:
            # A failure outside any step (e.g. the run could not start).
            self.report.run_error = _first_line(event.message or "run failed")
            self.progress.milestone(f"FAILED: {self.report.run_error}")

    def finish(self) -> None:
        """The run is over: say what its unfinished stages left unbuilt."""
        for stage in self.planned:
            if stage not in self.announced:
                self._announce(stage)

    def _load_plan(self, run_id: str) -> None:
        run = self.instance.get_run_by_id(run_id)
        if run is None or run.execution_plan_snapshot_id is None:
            return
        plan = self.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        to_execute = set(plan.step_keys_to_execute or [s.key for s in plan.steps])
        for step in plan.steps:
            if step.key not in to_execute:
                continue
            self.step_entities[step.key] = set(step.entity_keys or ())
            for key in sorted(
                (k for k in step.entity_keys or () if isinstance(k, dg.AssetKey)),
                key=lambda k: self.order.get(k, 0),
            ):
                stage = self.report.stages.get(key)
                if stage is not None and key not in self.report.planned:
                    self.report.planned.append(key)
                    self.planned.setdefault(stage, []).append(key)

    def _note_not_delivered(self, step: str) -> None:
        """An ingestion step that succeeded without a materialisation: none of the run's days
        delivered for its feed (it materialises only the days it ingested)."""
        for key in self.step_entities.get(step, set()):
            if (
                isinstance(key, dg.AssetKey)
                and key.path[0] == _INGESTION
                and key not in self.report.materialized
            ):
                self.report.not_delivered.add(key)
                if (stage := self.report.stages.get(key)) is not None:
                    self.done.setdefault(stage, set()).add(key)

    def _settle(self, step: str, bucket: set[dg.AssetKey]) -> None:
        """A step that will not materialise more: its assets not yet built go to `bucket`."""
        for key in self.step_entities.get(step, set()):
            if isinstance(key, dg.AssetKey) and key not in self.report.materialized:
                bucket.add(key)
                stage = self.report.stages.get(key)
                if stage is not None:
                    self.done.setdefault(stage, set()).add(key)
        if (stage := self._stage_of_step(step)) is not None:
            self._show(stage, may_announce=True)

    def _show(self, stage: Stage, *, may_announce: bool = False) -> None:
        planned = self.planned.get(stage, [])
        done = self.done.get(stage, set())
        if stage in self.announced:
            return
        if may_announce and planned and len(done) >= len(planned):
            self._announce(stage)
            return
        text = f"{stage.name}: {len(done)} of {len(planned)} {stage.unit}"
        if current := self.current.get(stage):
            text += f" · {current}"
        self.progress.status(text)

    def _announce(self, stage: Stage) -> None:
        self.announced.add(stage)
        self.progress.status("")  # the finished stage's status line goes with it
        planned = self.planned.get(stage, [])
        built = [k for k in planned if k in self.report.materialized]
        figures = stage_figures([self.report.materialized[k] for k in built])
        if len(planned) == 1:
            # A stage of one asset is a milestone only when it has figures to tell: a failure
            # has its own line already, and the summary lists what was built.
            if figures:
                self.progress.milestone(f"{stage.name}: {figures}")
            return
        text = f"{stage.name}: {len(built)} of {len(planned)} {stage.unit} built"
        if quiet := sum(1 for k in planned if k in self.report.not_delivered):
            text += f", {quiet} with no delivery"
        self.progress.milestone(text + (f" ({figures})" if figures else ""))

    def _stage_of_step(self, step: str) -> Stage | None:
        for key in self.step_entities.get(step, set()):
            asset = key if isinstance(key, dg.AssetKey) else key.asset_key
            if (stage := self.report.stages.get(asset)) is not None:
                return stage
        return None

    def _builds(self, step: str) -> str:
        """What a step builds, for a person: its one asset, or its step key when it builds many."""
        assets = [k for k in self.step_entities.get(step, set()) if isinstance(k, dg.AssetKey)]
        if len(assets) == 1:
            return assets[0].to_user_string()
        checks = [k for k in self.step_entities.get(step, set()) if isinstance(k, dg.AssetCheckKey)]
        if not assets and len(checks) == 1:
            return f"{checks[0].asset_key.to_user_string()} · {checks[0].name}"
        return step

    def _log(self, entry: dg.EventLogEntry) -> None:
        stamp = datetime.fromtimestamp(entry.timestamp).strftime("%H:%M:%S")
        level = logging.getLevelName(entry.level) if isinstance(entry.level, int) else entry.level
        event = entry.dagster_event
        kind = f"{event.event_type_value} " if event is not None else ""
        line = f"{stamp} {level:<7} {entry.step_key or '-'} {kind}- {entry.message}"
        if event is not None and event.is_step_failure and event.step_failure_data.error:
            line += "\n" + event.step_failure_data.error.to_string()
        elif event is not None and event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            line += (
                f": {'passed' if evaluation.passed else 'FAILED'} ({evaluation.severity.value})"
                + (f" {evaluation.description}" if evaluation.description else "")
            )
        self.log.write(line)


def stage_figures(metadata: list[Mapping[str, dg.MetadataValue]]) -> str:
    """Totals a person wants at a milestone: files delivered, rows landed and where they went."""

    def total(label: str) -> int:
        return sum(metadata_number(m.get(label)) for m in metadata)

    if any("total_files" in m for m in metadata):
        return f"{total('total_files'):,} delivery files of {total('feeds')} feeds"
    if any("landed_rows" in m for m in metadata):
        return (
            f"{total('landed_rows'):,} rows landed: {total('dagster/row_count'):,} to bronze, "
            f"{total('quarantined_rows'):,} quarantined"
        )
    return ""


def range_figures(
    so_far: Mapping[str, dg.MetadataValue], partition: Mapping[str, dg.MetadataValue]
) -> dict[str, dg.MetadataValue]:
    """An asset's figures over several partitions: counts added up, the quarantine rate of the
    sums, other values (tables, notes) those of the last partition."""
    combined = {**so_far, **partition}
    for label, value in partition.items():
        earlier = so_far.get(label)
        if isinstance(count := _count(value), int) and isinstance(before := _count(earlier), int):
            combined[label] = dg.MetadataValue.int(before + count)
    if "quarantine_rate" in combined:
        landed = metadata_number(combined.get("landed_rows"))
        quarantined = metadata_number(combined.get("quarantined_rows"))
        combined["quarantine_rate"] = dg.MetadataValue.float(
            round(quarantined / landed, 5) if landed else 0.0
        )
    return combined


def _count(value: dg.MetadataValue | None) -> int | None:
    """A whole-number figure (rows), or None for anything else (a rate, a flag, a table)."""
    if value is None or isinstance(value.value, bool) or not isinstance(value.value, int):
        return None
    return value.value


def check_reason(outcome: CheckOutcome) -> str:
    """Why a check failed, in its own words (its description) or by its first figure."""
    if outcome.description:
        return outcome.description.strip()
    return metadata_line(outcome.metadata).split(" · ")[0] or "failed"


def _is_interrupt(data: StepFailureData) -> bool:
    """Whether the step failed because SIGINT or SIGTERM interrupted it."""
    error = data.error
    while error is not None:
        if error.cls_name in _INTERRUPTS:
            return True
        error = error.cause
    return False


def _step_failure(step: str, builds: str, data: StepFailureData) -> StepFailure:
    user_failure = data.user_failure_data
    error = data.error
    if user_failure is not None and user_failure.description:
        # A dagster.Failure raised on purpose: its description is the message.
        return StepFailure(step, builds, _first_line(user_failure.description))
    if error is not None:
        # The step error wraps the user's exception as its cause: show that one, named by its
        # class alone ("PseudonymKeyError: ...", not its module's path).
        cause = error.cause or error
        message = dbt_failure(cause.message) or _QUALIFIED_NAME.sub(
            r"\1", _first_line(cause.message)
        )
        return StepFailure(step, builds, message)
    return StepFailure(step, builds, "step failed")


# dagster-dbt's error starts "The dbt CLI process with command" and lists dbt's own errors after
# this line: the first failed node, and why, is what a person needs.
_DBT_ERRORS = "Errors parsed from dbt logs:"
_ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_DBT_NODE_FAILED = re.compile(
    r"(?:(?:Runtime|Database|Compilation) Error|Failure) in (model|test|seed|snapshot|unit_test) (\S+)"
)


def dbt_failure(message: str) -> str | None:
    """The first node a failed dbt command names, and its error's first line (None: not dbt's);
    running out of memory says which setting gives DuckDB more."""
    if _DBT_ERRORS not in message:
        return None
    lines = [
        line.strip()
        for line in _ANSI_COLOUR.sub("", message.split(_DBT_ERRORS, 1)[1]).splitlines()
        if line.strip()
    ]
    for index, line in enumerate(lines):
        if (node := _DBT_NODE_FAILED.match(line)) is None:
            continue
        reason = next((r for r in lines[index + 1 :] if not _DBT_NODE_FAILED.match(r)), "failed")
        text = f"dbt {node[1]} {node[2]}: {reason}"
        if "Out of Memory" in reason:
            text += (
                " (give DuckDB more memory: SAFECITY_DUCKDB_MEMORY_LIMIT, default 4GB;"
                " README, Memory and threads)"
            )
        return text
    return lines[0] if lines else None


def metadata_line(metadata: Mapping[str, dg.MetadataValue], short_text: int = 60) -> str:
    """Numbers and short text, as 'label value · label value'; tables and JSON are for the UI."""
    parts = []
    for label, value in metadata.items():
        label = label.removeprefix("dagster/")
        raw = value.value
        if isinstance(raw, bool):
            parts.append(f"{label} {str(raw).lower()}")
        elif label.startswith("rows/"):
            continue  # listed with the warehouse tables
        elif isinstance(raw, int):
            parts.append(f"{label} {raw:,}")
        elif isinstance(raw, float):
            parts.append(f"{label} {raw:,.4g}")
        elif (
            isinstance(value, dg.TextMetadataValue) and len(text := value.text or "") <= short_text
        ):
            parts.append(f"{label} {text}")
    return " · ".join(parts)


def metadata_number(value: dg.MetadataValue | None) -> int:
    """A count from metadata; 0 when it is missing or not a number."""
    raw = value.value if value is not None else 0
    return int(raw) if isinstance(raw, (int, float)) else 0


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""

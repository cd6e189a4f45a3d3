"""A failed `safecity run` is retried from the UI: its runs are runs of the code location's named
jobs, and "Re-execute from failure" (the webserver's GraphQL mutation, on the instance and
workspace.yaml the UI loads) runs the failed step again, and only it, and succeeds.

The tiny city with one problem planted: a file where the traffic-flow feed's partition of its
fourth delivery day belongs, so that feed's ingestion step fails. The file is then removed, as
an engineer would fix the cause, and the failed run re-executed from failure.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import poll_for_finished_run
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon
from dagster_graphql.client.query import LAUNCH_PIPELINE_REEXECUTION_MUTATION
from dagster_graphql.test.utils import define_out_of_process_workspace, execute_dagster_graphql

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.jobs import INGESTION_JOB, LANDING_JOB, WAREHOUSE_JOB
from pipelines.lib.city_profile import city_profile
from pipelines.lib.dagster_home import DAGSTER_HOME_DIRNAME
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition
from pipelines.lib.stale_runs import LAUNCHED_BY_TAG, PID_TAG, release_dead_runs
from pipelines.lib.workspace import WORKSPACE_FILE
from tests.conftest import safecity_run

FLOW = FEED_CONTRACTS[("traffic_police", "traffic_flow")]
FAILED_STEP = "bronze__traffic_police__traffic_flow"

RUNS_QUERY = """
query {
  runsOrError {
    ... on Runs {
      results { runId pipelineName status repositoryOrigin { repositoryLocationName } }
    }
  }
}
"""


@pytest.fixture(scope="module")
def failed_run(
    tiny_city, tmp_path_factory
) -> tuple[DataDir, Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("reexecute") / "city"
    shutil.copytree(tiny_city, root)
    data = DataDir(root)
    fourth_day = city_profile(root).first_delivery_day + timedelta(days=3)
    blocked = partition(data, FLOW, fourth_day).bronze.parent
    blocked.parent.mkdir(parents=True)
    blocked.write_text("in the way\n", encoding="utf-8")
    return data, blocked, safecity_run(root, root.parent)


def _started_steps(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return {
        entry.step_key
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        if entry.step_key
    }


def _steps_to_retry(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The steps a run failed or skipped: what "from failure" runs again."""
    ended = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_SKIPPED}
    return {entry.step_key for entry in instance.all_logs(run_id, of_type=ended) if entry.step_key}


def test_a_failed_safecity_run_is_re_executed_from_failure_as_the_ui_does(
    failed_run, monkeypatch
) -> None:
    data, blocked, result = failed_run
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED bronze/traffic_police/traffic_flow" in result.stdout

    # The UI's code location runs in a process of its own, on this city (as `make dev` does).
    monkeypatch.setenv("SAFECITY_DATA_DIR", str(data.root))
    home = data.root / DAGSTER_HOME_DIRNAME
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = {run.job_name: run for run in instance.get_runs()}
        # Runs of the named jobs, each with its origin in the UI's code location.
        assert set(runs) == {LANDING_JOB, INGESTION_JOB, WAREHOUSE_JOB}
        for job_name, run in runs.items():
            origin = run.remote_job_origin
            assert origin is not None and origin.job_name == job_name
            assert origin.location_name == "safecity"
        failed = runs[INGESTION_JOB]
        assert failed.status == dg.DagsterRunStatus.FAILURE
        assert runs[WAREHOUSE_JOB].status == dg.DagsterRunStatus.SUCCESS
        to_retry = _steps_to_retry(instance, failed.run_id)
        assert FAILED_STEP in to_retry
        assert len(_started_steps(instance, failed.run_id)) > len(to_retry)  # other feeds built

        blocked.unlink()  # the cause removed

        # The webserver's process context on workspace.yaml (its code location in a process of
        # its own), and its daemon, which launches queued runs.
        with (
            define_out_of_process_workspace(str(WORKSPACE_FILE), None, instance) as workspace,
            QueuedRunCoordinatorDaemon(interval_seconds=1) as daemon,
        ):
            # The UI lists the runs under their jobs, in the safecity location.
            context = workspace.create_request_context()
            listed = execute_dagster_graphql(context, RUNS_QUERY).data["runsOrError"]["results"]
            assert {
                (r["pipelineName"], r["repositoryOrigin"]["repositoryLocationName"]) for r in listed
            } == {(job_name, "safecity") for job_name in runs}
            # "Re-execute from failure", as the run page's button sends it.
            launched = execute_dagster_graphql(
                workspace.create_request_context(),
                LAUNCH_PIPELINE_REEXECUTION_MUTATION,
                variables={
                    "reexecutionParams": {"parentRunId": failed.run_id, "strategy": "FROM_FAILURE"}
                },
            ).data["launchPipelineReexecution"]
            assert launched["__typename"] == "LaunchRunSuccess", launched
            retry_id = launched["run"]["runId"]
            list(daemon.run_iteration(workspace))  # the daemon's tick: the run is launched
            # The next `safecity run`'s check for dead runs leaves the retry alone, although
            # it carries its parent's tags and the parent's process is gone.
            assert not any(retry_id in line for line in release_dead_runs(instance))
            retry = poll_for_finished_run(instance, retry_id, timeout=600)

        assert retry.status == dg.DagsterRunStatus.SUCCESS, [
            e.message for e in instance.all_logs(retry_id) if e.level >= 40
        ]
        assert retry.job_name == INGESTION_JOB
        assert retry.parent_run_id == failed.run_id
        assert _started_steps(instance, retry_id) == to_retry  # the failed step, and only it
        assert (
            retry.tags["dagster/asset_partition_range_end"]
            == failed.tags["dagster/asset_partition_range_end"]
        )
        assert retry.tags[PID_TAG] == "" and retry.tags[LAUNCHED_BY_TAG] != "safecity run"
    fourth_day = city_profile(data.root).first_delivery_day + timedelta(days=3)
    assert partition(data, FLOW, fourth_day).bronze.exists()

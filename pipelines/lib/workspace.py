"""The code location as the UI's workspace names it, for runs executed in this process.

`safecity run` executes its jobs here, in its own process, yet records each run as the UI would
launch it: with the job's origin in the code location of workspace.yaml (its location name, its
repository). The UI then lists the run on the job's page and timeline, and "Re-execute from
failure" finds the job again by that origin (without it, the webserver stops at
`parent_run.remote_job_origin`).

Dagster exports no API for this (its CLI's `dagster job execute` records no remote origin), so
this module uses Dagster's own workspace loader and origin classes, all imported here;
tests/pipeline/test_reexecute.py re-executes a `safecity run` through the webserver's GraphQL API
and fails when an upgrade changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.definitions.repository_definition import RepositoryDefinition
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.workspace.load import location_origins_from_yaml_paths

# The repository's workspace file, which `make dev` (and `dagster dev` from the root) loads.
WORKSPACE_FILE = Path(__file__).resolve().parents[2] / "workspace.yaml"


class WorkspaceError(Exception):
    """The workspace file does not name one Python code location this process can load."""


@dataclass(frozen=True)
class CodeLocation:
    """One code location of a workspace file: where its definitions are, and how the UI names it."""

    origin: ManagedGrpcPythonEnvCodeLocationOrigin
    repository: ReconstructableRepository

    @classmethod
    def from_workspace(cls, workspace: Path = WORKSPACE_FILE) -> CodeLocation:
        origins = location_origins_from_yaml_paths([str(workspace)])
        if len(origins) != 1 or not isinstance(origins[0], ManagedGrpcPythonEnvCodeLocationOrigin):
            raise WorkspaceError(
                f"{workspace} must name exactly one code location loaded from Python "
                "(python_module or python_file)"
            )
        origin = origins[0]
        target = origin.loadable_target_origin
        if not target.attribute:
            raise WorkspaceError(f"{workspace}: name the Definitions object with `attribute:`")
        if target.module_name:
            repository = ReconstructableRepository.for_module(
                target.module_name, target.attribute, target.working_directory
            )
        elif target.python_file:
            repository = ReconstructableRepository.for_file(
                target.python_file, target.attribute, target.working_directory
            )
        else:
            raise WorkspaceError(f"{workspace}: name a python_module or a python_file")
        return cls(origin, repository)

    @property
    def name(self) -> str:
        return self.origin.location_name

    def definitions(self) -> RepositoryDefinition:
        """The location's definitions, loaded in this process (once: Dagster caches them)."""
        return self.repository.get_definition()

    def create_run(
        self,
        instance: dg.DagsterInstance,
        job_name: str,
        *,
        run_id: str,
        run_config: Mapping[str, object],
        tags: Mapping[str, str],
    ) -> dg.DagsterRun:
        """A run of the whole job, recorded as if launched from the UI: with the job's remote
        origin in this code location and the Python origin a run worker loads it from."""
        job = self.repository.get_reconstructable_job(job_name)
        repository_origin = RemoteRepositoryOrigin(self.origin, self.definitions().name)
        return instance.create_run_for_job(
            job_def=job.get_definition(),
            run_id=run_id,
            run_config=run_config,
            tags=tags,
            remote_job_origin=RemoteJobOrigin(repository_origin, job_name),
            job_code_origin=job.get_python_origin(),
        )

    def execute(self, instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
        """Execute a run created by `create_run` in this process, with the job's own executor,
        as a run worker would (`dagster api execute_run`); its events go to the instance."""
        job: ReconstructableJob = self.repository.get_reconstructable_job(run.job_name)
        execute_run(job, run, instance, raise_on_error=False)

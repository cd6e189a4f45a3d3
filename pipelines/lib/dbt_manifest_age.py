"""Whether dbt's manifest is older than its project: what both `safecity run` and the code
location ask before they trust the manifest. No dbt or Dagster import, so the CLI can ask first.

And which project a warehouse build parsed (`PARSED_PROJECT` in its target folder, by content):
the dbt docs site is made from that parse, so only while the project is still that one."""

from __future__ import annotations

import os
from pathlib import Path

# What dbt (or Python) writes into a dbt project, never its author: no reason to parse again.
_DBT_OUTPUTS = frozenset({"target", "logs", "dbt_packages", ".user.yml", "__pycache__"})


def newest_project_change(project_dir: Path) -> float:
    """The latest modification time of the project's files and folders (a folder's changes when
    a file in it is added or removed), what dbt writes there left out."""
    newest = 0.0
    for folder, subfolders, names in os.walk(project_dir):
        subfolders[:] = [name for name in subfolders if name not in _DBT_OUTPUTS]
        for name in [*subfolders, *names]:
            if name not in _DBT_OUTPUTS:
                newest = max(newest, os.stat(Path(folder) / name, follow_symlinks=False).st_mtime)
    return newest


def manifest_is_current(manifest: Path, project_dir: Path) -> bool:
    """The manifest exists and no file of the project changed after it was written."""
    return manifest.exists() and manifest.stat().st_mtime >= newest_project_change(project_dir)


PARSED_PROJECT = "parsed_project.sha256"


def record_parsed_project(target: Path, project_digest: str) -> None:
    """A build in `target` parsed the project whose files digest to `project_digest`."""
    (target / PARSED_PROJECT).write_text(project_digest, encoding="utf-8")


def parsed_project(target: Path) -> str | None:
    """The digest a build in `target` recorded, if any."""
    try:
        return (target / PARSED_PROJECT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None

"""A workspace file of its own for a test's code location, as `safecity run` reads workspace.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.lib.workspace import CodeLocation


def code_location(
    folder: Path, *, attribute: str, module: str | None = None, python_file: Path | None = None
) -> CodeLocation:
    """The code location of `module` (importable from `folder`) or of `python_file`, written to
    a workspace file in `folder` under the location name "test"."""
    target: dict[str, str] = {"attribute": attribute, "working_directory": str(folder)}
    if module is not None:
        kind, target["module_name"] = "python_module", module
    else:
        kind, target["relative_path"] = "python_file", str(python_file)
    workspace = folder / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump({"load_from": [{kind: {**target, "location_name": "test"}}]}),
        encoding="utf-8",
    )
    return CodeLocation.from_workspace(workspace)

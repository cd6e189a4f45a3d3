"""Resources shared by every stage of the pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.lib.data_dir import DataDir

# The key under which every asset finds the data directory; the CLI overrides
# `root` through run config under this key, so the run records where it ran.
DATA_DIR_RESOURCE_KEY = "data_dir"


class DataDirResource(dg.ConfigurableResource):
    """The data directory a run reads and writes (docs/architecture.md, "The data directory")."""

    root: str = Field(description="Root of the data directory (landing/, lake/, reports/, ...).")

    @property
    def paths(self) -> DataDir:
        # Absolute, so that paths in metadata and reports do not depend on the
        # working directory of whichever process executed the step.
        return DataDir(Path(self.root).expanduser().absolute())


def data_dir_run_config(root: Path) -> dict[str, object]:
    """Run config that points a run at `root`, the way `safecity run --data-dir` does."""
    return {"resources": {DATA_DIR_RESOURCE_KEY: {"config": {"root": str(root.absolute())}}}}

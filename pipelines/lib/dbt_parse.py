"""`dbt parse` of the warehouse's dbt project with the city's vars: the manifest the warehouse
assets are defined from, and the partial-parse state each new data directory's first build
starts from (dagster-dbt copies it into the data directory's `dbt_target/`).

    python -m pipelines.lib.dbt_parse [PROJECT_DIR]     (`make install`)

`make install` parses with this, not with `dagster-dbt project prepare-and-package`, which after
parsing marks every seed of the saved state as changed, so that a project parsed in one place
and deployed in another reads its seeds again. Here the project is used where it is parsed (a
moved checkout needs `make install` anyway: its virtual environment does too), and that mark
made the first build of every new data directory parse the 18 seeds and the models around them
again: 21 files, some 1.5 s more than a parse that finds nothing changed. For the same reason the
parse sees the reference tables' folder as a run's dbt does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipelines.lib import settings
from pipelines.lib.dbt_args import dbt_parse_args


class DbtParseError(RuntimeError):
    """dbt could not parse the project; the message holds dbt's output."""


def parse_project(dbt_dir: Path) -> None:
    """Parse the project in `dbt_dir` into its `target/` (manifest and partial-parse state)."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        *dbt_parse_args(),
        "--project-dir",
        str(dbt_dir),
        "--profiles-dir",
        str(dbt_dir),
    ]
    # The reference tables' folder as a run gives it to dbt (export_dbt_environment).
    environment = settings.child_environment(SAFECITY_REFERENCE_DIR=settings.reference_dir())
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise DbtParseError(result.stdout + result.stderr)


def main(argv: list[str]) -> int:
    dbt_dir = Path(argv[0]) if argv else settings.dbt_project_dir()
    try:
        parse_project(dbt_dir)
    except DbtParseError as error:
        print(f"{error}\ndbt could not parse {dbt_dir}: see above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

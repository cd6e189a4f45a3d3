"""Which Dagster instance `safecity run` records its runs in.

A persistent instance, so the runs, materialisations and check results show in
the UI afterwards. `$DAGSTER_HOME` wins when set (the user chose an instance);
otherwise the instance lives with the data it describes, in
`<data dir>/dagster_home`, and `dagster dev` sees it when started with
`DAGSTER_HOME` pointing there.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.lib import settings
from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.data_dir import DataDir

DAGSTER_HOME_ENV = settings.DAGSTER_HOME.name
DAGSTER_HOME_DIRNAME = "dagster_home"

# Instance setting read by DagsterInstance.telemetry_enabled: with it, Dagster
# writes no telemetry log and the UI sends nothing (docs/architecture.md, Telemetry off).
INSTANCE_CONFIG = """\
# Written by `safecity run`. Telemetry off: no network at run time (docs/architecture.md).
telemetry:
  enabled: false
# No "Join the Dagster community" prompt in the UI: it offers to send an email address to dagster.io.
nux:
  enabled: false
# One writer of the warehouse file (docs/architecture.md): steps in the `warehouse` pool run one at a time.
concurrency:
  pools:
    default_limit: 1
# Runs that die leave nothing claimed (docs/architecture.md, Runs that die): the daemon of
# `dagster dev` checks each started run's process and marks a run whose process is gone failed,
# then frees the slots of runs that are over. `safecity run` does the same check before it starts.
run_launcher:
  module: pipelines.lib.stale_runs
  class: PidCheckingRunLauncher
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 5
"""


def choose_dagster_home(data_dir: DataDir) -> Path:
    configured = settings.value(settings.DAGSTER_HOME)
    home = Path(configured) if configured else data_dir.root / DAGSTER_HOME_DIRNAME
    # Dagster requires an absolute DAGSTER_HOME, and the UI command we print must
    # work from any directory.
    return home.expanduser().absolute()


def prepare_dagster_home(home: Path) -> Path:
    """Create `home` with a telemetry-off dagster.yaml unless one is already there.

    An existing dagster.yaml is the user's instance configuration: left untouched.
    """
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and not (home / "dagster.yml").exists():
        write_text_atomic(config, INSTANCE_CONFIG)
    return config

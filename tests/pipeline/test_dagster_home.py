"""The instance `safecity run` writes and the repository's dagster.yaml (for `dagster dev` from the
root) configure the same instance: a setting added to one and forgotten in the other would make
the UI behave differently depending on how it was started."""

from pathlib import Path

import yaml

from pipelines.lib.dagster_home import INSTANCE_CONFIG, prepare_dagster_home

REPOSITORY_INSTANCE = Path(__file__).resolve().parents[2] / "dagster.yaml"


def test_safecity_run_writes_the_repository_instance_settings(tmp_path: Path) -> None:
    written = yaml.safe_load(prepare_dagster_home(tmp_path / "home").read_text())
    assert written == yaml.safe_load(INSTANCE_CONFIG)
    assert written == yaml.safe_load(REPOSITORY_INSTANCE.read_text())
    assert written["nux"] == {
        "enabled": False
    }  # no prompt offering to send an address off the machine
    assert written["telemetry"] == {"enabled": False}

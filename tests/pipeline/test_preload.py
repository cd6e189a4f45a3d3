"""A dbt step imports, while dbt starts, the slow library a later step of its run needs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.definitions import defs
from pipelines.defs.jobs import WAREHOUSE_JOB
from pipelines.lib import preload
from pipelines.lib.preload import import_for_kinds


@pytest.fixture
def slow_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The kind `slow`, whose assets need the module `safecity_preload_slow` (in `tmp_path`)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(preload, "SLOW_IMPORTS_BY_KIND", {"slow": "safecity_preload_slow"})
    yield tmp_path
    sys.modules.pop("safecity_preload_slow", None)


def test_the_library_of_a_kind_in_the_run_is_imported_once(slow_kind: Path) -> None:
    (slow_kind / "safecity_preload_slow.py").write_text("import time\ntime.sleep(0.2)\n")
    assert import_for_kinds({"dbt", "duckdb"}) == []
    assert "safecity_preload_slow" not in sys.modules
    [(module, seconds)] = import_for_kinds({"dbt", "slow"})
    assert module == "safecity_preload_slow" and seconds >= 0.2
    assert "safecity_preload_slow" in sys.modules
    assert import_for_kinds({"slow"}) == []  # imported already


def test_a_failed_import_is_left_to_the_step_that_needs_it(slow_kind: Path) -> None:
    (slow_kind / "safecity_preload_slow.py").write_text("raise RuntimeError('broken')\n")
    assert import_for_kinds({"slow"}) == []
    with pytest.raises(RuntimeError, match="broken"):
        import safecity_preload_slow  # noqa: F401


def test_every_slow_import_is_for_a_kind_of_the_warehouse_job() -> None:
    """A kind renamed in the assets would quietly end the import ahead."""
    layer = defs.resolve_job_def(WAREHOUSE_JOB).asset_layer
    kinds = {k for key in layer.executable_asset_keys for k in layer.asset_graph.get(key).kinds}
    assert set(preload.SLOW_IMPORTS_BY_KIND) <= kinds

"""Every notebook in notebooks/ runs, as an analyst would, on the tiny city built by `safecity run`.

A new notebook is picked up by the glob. Each is executed in a fresh kernel of this
virtual environment (nbclient, kernel `python3`) with `SAFECITY_DATA_DIR` pointing at
the built city; a failing cell fails its test with the cell's traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from pipelines.lib import settings
from pipelines.lib.city_profile import load_city_profile
from pipelines.lib.contracts import CONTRACTS_DIR_ENV
from pipelines.lib.contracts.loader import shared_vocabulary

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300

# The layer names notebooks/one_map.ipynb fixes as constants: the saved map must offer each one.
MAP_LAYERS = (
    "Hazard sources (GB 18218 grade)",
    "Incidents (last 7 days)",
    "Warnings in force",
    "Fire stations",
    "Air-quality stations (latest AQI)",
)


def execute(notebook: Path, data_dir: Path, scratch: Path) -> nbformat.NotebookNode:
    executed = nbformat.read(notebook, as_version=4)
    env = {
        **os.environ,
        "SAFECITY_DATA_DIR": str(data_dir),
        # Charts must come out as PNG outputs even where MPLBACKEND says otherwise (e.g. Agg on CI).
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "IPYTHONDIR": str(scratch / "ipython"),
    }
    client = NotebookClient(
        executed,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        startup_timeout=120,
        # The kernel starts in the notebook's folder, as under Jupyter.
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute(env=env)
    return executed


def outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def stdout(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        o.text for o in outputs(notebook) if o.output_type == "stream" and o.name == "stdout"
    )


def images(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(notebook))


def check_city_overview(executed: nbformat.NotebookNode, data_dir: Path, started: float) -> None:
    assert images(executed) >= 1


def check_one_map(executed: nbformat.NotebookNode, data_dir: Path, started: float) -> None:
    saved = data_dir / "reports" / "one_map.html"
    assert saved.is_file() and saved.stat().st_mtime >= started, (
        "the map was not written by this run"
    )
    page = saved.read_text(encoding="utf-8")
    for layer in MAP_LAYERS:
        assert json.dumps(layer) in page, f"layer {layer!r} missing from {saved}"
    assert "L.control.layers" in page
    assert not list(saved.parent.glob(".*.tmp")), "the temporary map file was left behind"
    # The incidents are the event types the contracts' vocabulary colours, keyed in that colour.
    vocabulary = shared_vocabulary(settings.contracts_dir())
    assert vocabulary is not None
    for name, kind in vocabulary.event_types.items():
        label = f'"></span> {name.replace("_", " ")}<br>'
        if kind.map_colour:
            assert f"background:{kind.map_colour}{label}" in page, name
        else:
            assert label not in page, f"{name} has no mapColour but is on the map"


def check_quality_scorecard(
    executed: nbformat.NotebookNode, data_dir: Path, started: float
) -> None:
    # Against what the sample city says it delivered, and how many of those rows it planted as invalid.
    manifest = json.loads((data_dir / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    delivered, invalid = manifest["total_rows"], sum(manifest["invalid_rows"].values())
    assert f"{delivered:,} rows delivered, {invalid:,} quarantined" in stdout(executed)
    assert images(executed) >= 1


CHECKS: dict[str, Callable[[nbformat.NotebookNode, Path, float], None]] = {
    "city_overview": check_city_overview,
    "one_map": check_one_map,
    "quality_scorecard": check_quality_scorecard,
}


def test_the_analyst_notebooks_are_there():
    assert set(CHECKS) <= {path.stem for path in NOTEBOOKS}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebooks_are_stored_without_outputs(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    code = [cell for cell in cells if cell.cell_type == "code"]
    assert code
    stored = [cell.id for cell in code if cell.outputs or cell.execution_count is not None]
    assert not stored, f"cells {stored} were committed with outputs: clear them"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_on_the_tiny_city(notebook, built_city, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # kernel connection files
    started = time.time()
    executed = execute(notebook, built_city, tmp_path)

    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    warnings = [
        o.text for o in outputs(executed) if o.output_type == "stream" and o.name == "stderr"
    ]
    assert not warnings, "".join(warnings)
    CHECKS.get(notebook.stem, lambda *_: None)(executed, built_city, started)


def test_the_one_map_draws_the_event_types_the_vocabulary_colours(
    built_city, tmp_path, monkeypatch
):
    """Colour the types the repository leaves off the map, and take the colour from the others."""
    contracts = tmp_path / "contracts"
    shutil.copytree(REPO_ROOT / "contracts", contracts)
    path = contracts / "vocabulary.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in document["eventTypes"].values():
        if entry.pop("mapColour", None) is None:
            entry["mapColour"] = "#00aa88"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(contracts))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    started = time.time()
    executed = execute(NOTEBOOK_DIR / "one_map.ipynb", built_city, tmp_path)
    check_one_map(executed, built_city, started)  # against the changed vocabulary
    page = (built_city / "reports" / "one_map.html").read_text(encoding="utf-8")
    assert "background:#00aa88" in page


def test_the_one_map_frames_the_other_city(other_built_city, tmp_path, monkeypatch):
    """On Wenzhou's data directory the map is Wenzhou's: framed on its profile's extent."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    started = time.time()
    executed = execute(NOTEBOOK_DIR / "one_map.ipynb", other_built_city, tmp_path)
    check_one_map(executed, other_built_city, started)
    page = (other_built_city / "reports" / "one_map.html").read_text(encoding="utf-8")
    box = load_city_profile(other_built_city / "city.yaml").bounds
    framed = json.dumps([[box.lat_min, box.lon_min], [box.lat_max, box.lon_max]])
    assert re.search(r"\.fitBounds\(\s*" + re.escape(framed), page), framed
    chengdu = load_city_profile(REPO_ROOT / "contracts" / "city.yaml").bounds
    assert (
        json.dumps([[chengdu.lat_min, chengdu.lon_min], [chengdu.lat_max, chengdu.lon_max]])
        not in page
    )

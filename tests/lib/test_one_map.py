"""The one map's page builder (pipelines/lib/map/) on a small analytics copy made here: the
layers' features, colours, caps and order; a missing table (required: an error naming the
entry; optional: listed as not built); the page's inline script, style and data, its
Content-Security-Policy, and no address it could fetch; and the layer file's validation."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.contracts import contracts_dir
from pipelines.lib.map.layers import MapLayersError, layers_path, load_map_layers
from pipelines.lib.map.page import build_one_map, collect, render

HOSTILE = "</script><script>alert(1)</script><!--"

BASE_SQL = """
CREATE TABLE dim_place (place_key VARCHAR, standard_address VARCHAR, township_code VARCHAR,
    longitude DOUBLE, latitude DOUBLE, location_source VARCHAR);
INSERT INTO dim_place VALUES
    ('p1', 'No. 1 East Road', '510104001', 104.00, 30.60, 'delivered'),
    ('p2', 'No. 2 East Road', '510104001', 104.02, 30.62, 'delivered'),
    ('p3', 'West Lane 3', '510104002', 104.10, 30.70, 'delivered'),
    ('p4', 'somewhere in the county', '510104002', 104.50, 30.90, 'county_centroid'),
    ('p5', 'no coordinates', NULL, NULL, NULL, 'unknown');
CREATE TABLE dim_admin_division (division_code VARCHAR, level VARCHAR, name VARCHAR,
    township_code VARCHAR, grid_lon_min DOUBLE, grid_lat_min DOUBLE, grid_lon_max DOUBLE,
    grid_lat_max DOUBLE);
INSERT INTO dim_admin_division VALUES
    ('510104001', 'township', 'East Street', '510104001', NULL, NULL, NULL, NULL),
    ('510104002', 'township', 'West Street', '510104002', NULL, NULL, NULL, NULL),
    ('g1', 'grid', 'g1', '510104001', 104.00, 30.60, 104.01, 30.61),
    ('g2', 'grid', 'g2', '510104002', 104.10, 30.70, 104.11, 30.71);
CREATE TABLE incidents (incident_id VARCHAR, kind VARCHAR, occurred_at TIMESTAMPTZ,
    place_key VARCHAR, note VARCHAR);
INSERT INTO incidents VALUES
    ('i1', 'fire', '2026-10-01 08:00:00+08', 'p1', 'first'),
    ('i2', 'fire', '2026-10-02 08:00:00+08', 'p2', 'second'),
    ('i3', 'flood', '2026-10-03 08:00:00+08', 'p3', 'third'),
    ('i4', 'quake', '2026-10-04 08:00:00+08', 'p3', ?),
    ('i5', 'fire', '2026-10-05 08:00:00+08', 'p5', 'no place');
CREATE TABLE alarms (name VARCHAR, colour VARCHAR, radius_m DOUBLE, longitude DOUBLE, latitude DOUBLE);
INSERT INTO alarms VALUES ('a1', 'red', 500, 104.0, 30.6), ('a2', 'url(x)', 250, 104.1, 30.7);
CREATE TABLE township_scores (township_code VARCHAR, score INTEGER);
INSERT INTO township_scores VALUES ('510104001', 7), ('510104002', 3), ('999999999', 1);
"""

LAYERS = """
version: 1.0.0
layers:
  - id: incidents
    label: Incidents
    table: incidents
    join: {table: dim_place, key: place_key, columns: [longitude, latitude, standard_address]}
    longitude: longitude
    latitude: latitude
    title: kind
    attributes: [incident_id, occurred_at, standard_address, note]
    colour: {column: kind, values: {fire: darkred, flood: blue}, other: grey}
    order_by: occurred_at DESC
    cap: 2
  - id: alarms
    label: Alarms
    table: alarms
    longitude: longitude
    latitude: latitude
    radius_m: radius_m
    attributes: [name]
    colour: {column: colour}
    cap: 10
  - id: scores
    label: Township scores
    table: township_scores
    township: township_code
    attributes: [score]
    colour: orange
    cap: 10
  - id: shelters
    label: Shelters
    table: shelters
    longitude: longitude
    latitude: latitude
    attributes: [capacity]
    cap: 10
    optional: true
"""


@pytest.fixture
def analytics(tmp_path: Path) -> Path:
    path = tmp_path / "analytics.duckdb"
    connection = duckdb.connect(str(path))
    for statement in BASE_SQL.split(";"):
        if statement.strip():
            parameters = [HOSTILE] if "?" in statement else []
            connection.execute(statement, parameters)
    connection.close()
    return path


def layers_file(tmp_path: Path, text: str = LAYERS) -> Path:
    path = tmp_path / "contracts" / "map" / "layers.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def page_json(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert match, "the page has no inline data"
    return json.loads(match.group(1))


def test_layers_are_read_with_their_features_colours_caps_and_order(
    analytics: Path, tmp_path: Path
) -> None:
    layers = load_map_layers(layers_file(tmp_path))
    data = collect(analytics, layers, title="T", timezone="Asia/Shanghai")
    by_id = {d.layer.id: d for d in data.layers}

    incidents = by_id["incidents"]
    # Five rows, four with a place; at most two drawn: the latest two, the latest drawn last (on top).
    assert (incidents.total, incidents.located, len(incidents.features)) == (5, 4, 2)
    assert incidents.capped
    assert [f[5][0] for f in incidents.features] == ["i3", "i4"]
    assert [f[3] for f in incidents.features] == ["blue", "grey"]  # flood, and quake: other
    assert incidents.features[1][5][1] == "2026-10-04 08:00"  # in the city's time zone
    # Projected around the base's centre, y growing southwards: i4 (West Lane) is east and north of 0,0.
    x, y = incidents.features[1][0], incidents.features[1][1]
    assert x > 0 > y

    alarms = by_id["alarms"]
    # No order_by: as the table has them, the first drawn last. Radii in metres, drawn to scale.
    assert [f[2] for f in alarms.features] == [250, 500]
    assert [f[3] for f in alarms.features] == ["grey", "red"]  # 'url(x)' is no colour: other

    scores = by_id["scores"]
    # Drawn on the townships' points; the code no township of the base has is not drawn.
    assert (scores.total, scores.located) == (3, 2)
    points = {t[2]: (t[0], t[1]) for t in data.townships}
    assert {(f[0], f[1]) for f in scores.features} == set(points.values())

    assert by_id["shelters"].present is False  # optional, and no such table
    # Township points from the delivered places only: West Street's county-centre place is not in it.
    assert {t[2]: t[4] for t in data.townships} == {"510104001": 2, "510104002": 1}
    assert len(data.cells) == 2


def test_the_page_is_self_contained_and_its_policy_allows_only_its_own_script_and_style(
    analytics: Path, tmp_path: Path
) -> None:
    layers = load_map_layers(layers_file(tmp_path))
    out = tmp_path / "reports" / "map" / "index.html"
    summary = build_one_map(analytics, layers, out, title="Test city: one map", timezone="UTC")
    page = out.read_text(encoding="utf-8")
    assert summary.bytes == len(page.encode("utf-8"))
    assert summary.layers == {
        "incidents": (2, 4, 5),
        "alarms": (2, 2, 2),
        "scores": (2, 2, 3),
        "shelters": None,
    }

    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy, "no Content-Security-Policy"
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 1 and len(styles) == 1

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert directives["script-src"] == f"'sha256-{digest(scripts[0])}'"
    assert directives["style-src"] == f"'sha256-{digest(styles[0])}'"
    # Nothing to fetch: no element with a source or a link, no address but the SVG namespace.
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}

    # The hostile note stays data: the inline JSON cannot end its element or open a comment.
    data_element = page.split('id="map-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_element
    assert data_element.count("\\u003c/script\\u003e") == 2
    data = page_json(page)
    notes = [f[5][3] for f in data["layers"][0]["features"]]
    assert HOSTILE in notes
    assert [layer["id"] for layer in data["layers"]] == [
        "incidents",
        "alarms",
        "scores",
        "shelters",
    ]
    assert data["layers"][0]["capped"] is True
    assert data["layers"][3]["present"] is False


def test_a_required_layer_whose_table_is_missing_fails_naming_its_entry(
    analytics: Path, tmp_path: Path
) -> None:
    text = LAYERS.replace("    optional: true\n", "")
    layers = load_map_layers(layers_file(tmp_path, text))
    with pytest.raises(MapLayersError) as error:
        collect(analytics, layers, title="T", timezone="UTC")
    [message] = error.value.messages
    assert message.endswith(
        ":31: layers.shelters: table 'shelters' is not in the analytics copy: build it, "
        "correct the name, or declare the layer `optional: true`"
    )


def test_columns_the_table_lacks_and_a_failing_filter_are_errors_with_their_entries(
    analytics: Path, tmp_path: Path
) -> None:
    text = (
        LAYERS.replace("attributes: [name]", "attributes: [name, severity]")
        .replace("    attributes: [score]\n", "    attributes: [score]\n    filter: score >>> 2\n")
        .replace(
            "columns: [longitude, latitude, standard_address]",
            "columns: [longitude, latitude, place_key]",
        )
    )
    layers = load_map_layers(layers_file(tmp_path, text))
    with pytest.raises(MapLayersError) as error:
        collect(analytics, layers, title="T", timezone="UTC")
    messages = error.value.messages
    assert len(messages) == 3, messages
    assert "layers.incidents.join: incidents has place_key already" in messages[0]
    assert messages[1].endswith("layers.alarms: no column severity in alarms")
    assert "layers.scores: its filter or order_by fails in DuckDB" in messages[2]


def test_the_layer_file_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    text = """version: 1
layers:
  - id: a
    label: A
    table: t
    longitude: lon
    attributes: [x]
    cap: 0
  - id: a
    label: B
    table: t
    township: code
    attributes: [x]
    colour: "red;background:url(x)"
    cap: 5
    filter: "true; drop table t"
    shape: square
"""
    with pytest.raises(MapLayersError) as error:
        load_map_layers(layers_file(tmp_path, text), tmp_path)
    messages = [m.split(":", 2)[1:] for m in error.value.messages]
    assert [(int(line), rest.strip()) for line, rest in messages] == [
        (1, "version: missing or not a quoted MAJOR.MINOR.PATCH version"),
        (
            3,
            "layers[0].longitude: where the features are: `longitude` and `latitude` columns, "
            "or a `township` column",
        ),
        (8, "layers[0].cap: a whole number from 1 to 20,000"),
        (14, "layers[1].colour: a CSS colour name (lowercase) or #rgb / #rrggbb"),
        (16, "layers[1].filter: one SQL expression, without `;`"),
        (17, f"layers[1].shape: unknown key; a layer has {_keys(error.value.messages[-1])}"),
    ]


def _keys(message: str) -> str:
    return message.split("a layer has ", 1)[1]


def test_two_layers_may_not_share_an_id(tmp_path: Path) -> None:
    entry = "  - {id: a, label: A, table: t, township: c, attributes: [x], cap: 1}\n"
    with pytest.raises(MapLayersError, match=r":4: layers\[1\]\.id: layer id 'a' is used twice"):
        load_map_layers(layers_file(tmp_path, 'version: "1.0.0"\nlayers:\n' + entry * 2))


def test_the_repository_layer_file_is_valid() -> None:
    layers = load_map_layers(layers_path(contracts_dir()))
    assert {"events", "warnings", "hazard_sources"} <= {layer.id for layer in layers.layers}
    for layer in layers.layers:
        assert layer.cap >= 1 and layer.attributes, layer.id


def test_render_escapes_the_title(analytics: Path, tmp_path: Path) -> None:
    layers = load_map_layers(layers_file(tmp_path))
    data = collect(analytics, layers, title="<b>city</b>", timezone="UTC")
    page = render(data)
    assert "<b>city</b>" not in page and "&lt;b&gt;city&lt;/b&gt;" in page

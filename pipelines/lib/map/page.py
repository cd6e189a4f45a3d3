"""The one map: a self-contained HTML page of the city, its townships and every layer of
`contracts/map/layers.yaml`, read from the analytics copy.

Self-contained means the page fetches nothing: its script, style and data are inline, the map
is drawn as SVG by the page's own script (no map library, no tiles, no web font), and its
Content-Security-Policy (`default-src 'none'`, the inline script and style allowed by their
SHA-256 only) forbids the browser any request, so it opens the same on a closed network, from
a file or an e-mail attachment.

The base is what the warehouse knows of the city's geography (the reference divisions have
codes and names, no boundaries): the grid cells of grid-based management (`dim_admin_division`,
level `grid`), each tinted by its township, so the cells of one township form its area, and
each township's point (the mean of its places' delivered coordinates, as `int_township_centroids`
takes it), labelled with its name. Layers whose features are townships are drawn on that point.

Coordinates are projected to metres around the city's centre (equirectangular, the longitude
scaled by the cosine of the centre's latitude: within a city the distortion is under 1%), so a
warning's radius is drawn to scale. Each layer keeps at most its `cap` features, the first by
its `order_by`; the legend says how many of how many are drawn.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb

from pipelines.lib.atomic import atomic_output
from pipelines.lib.map.layers import Layer, MapLayers, MapLayersError
from pipelines.lib.sql_names import qualified, quoted

MAP_FILE = Path("map") / "index.html"  # under the data directory's reports/
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON = 111_320.0
# Where the base's township points come from: the mean of the delivered coordinates of the
# places with a township code (as dbt's int_township_centroids, which analysts do not get).
TOWNSHIP_POINTS = """
    SELECT p.township_code, any_value(d.name) AS name, avg(p.longitude) AS longitude,
           avg(p.latitude) AS latitude, count(*) AS places
    FROM main.dim_place AS p
    LEFT JOIN main.dim_admin_division AS d
      ON d.division_code = p.township_code AND d.level = 'township'
    WHERE p.township_code IS NOT NULL AND p.longitude IS NOT NULL AND p.latitude IS NOT NULL
      AND p.location_source = 'delivered'
    GROUP BY p.township_code
    ORDER BY p.township_code
"""
GRID_CELLS = """
    SELECT township_code, grid_lon_min, grid_lat_min, grid_lon_max, grid_lat_max
    FROM main.dim_admin_division
    WHERE level = 'grid' AND grid_lon_min IS NOT NULL AND grid_lat_min IS NOT NULL
    ORDER BY division_code
"""
BASE_TABLES = ("dim_place", "dim_admin_division")


@dataclass(frozen=True)
class Projection:
    """WGS-84 degrees to metres east and south of a centre (SVG's y grows downwards)."""

    lon0: float
    lat0: float

    def __call__(self, longitude: float, latitude: float) -> tuple[int, int]:
        x = (longitude - self.lon0) * METRES_PER_DEGREE_LON * math.cos(math.radians(self.lat0))
        y = (self.lat0 - latitude) * METRES_PER_DEGREE_LAT
        return round(x), round(y)


@dataclass
class LayerData:
    layer: Layer
    present: bool  # its table is in the analytics copy
    total: int = 0  # rows passing the filter
    located: int = 0  # of which with a place on the map
    # [x, y, radius_m | None, colour, title, [attribute values]], drawn in this order
    features: list[list[Any]] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.located > len(self.features)


@dataclass
class MapData:
    title: str
    subtitle: str
    projection: Projection
    townships: list[list[Any]]  # [x, y, code, name, places]
    cells: list[list[int]]  # [x, y, width, height, township index or -1]
    layers: list[LayerData]


@dataclass(frozen=True)
class MapSummary:
    path: Path
    bytes: int
    townships: int
    cells: int
    layers: dict[str, tuple[int, int, int] | None]  # id -> (drawn, located, total); None: absent


def build_one_map(
    analytics: Path, layers: MapLayers, out: Path, *, title: str, timezone: str
) -> MapSummary:
    """Read the analytics copy and write the page to `out`, atomically."""
    data = collect(analytics, layers, title=title, timezone=timezone)
    page = render(data)
    with atomic_output(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return MapSummary(
        path=out,
        bytes=len(page.encode("utf-8")),
        townships=len(data.townships),
        cells=len(data.cells),
        layers={
            d.layer.id: (len(d.features), d.located, d.total) if d.present else None
            for d in data.layers
        },
    )


# ---------------------------------------------------------------- reading the warehouse


def collect(analytics: Path, layers: MapLayers, *, title: str, timezone: str) -> MapData:
    if not analytics.is_file():
        raise FileNotFoundError(f"no analytics copy at {analytics}: build the warehouse first")
    connection = duckdb.connect(str(analytics), read_only=True)
    try:
        connection.execute("SET TimeZone = ?", [timezone])  # times as the city reports them
        tables = _tables(connection)
        missing = [t for t in BASE_TABLES if t not in tables]
        if missing:
            raise MapLayersError(
                [
                    f"{analytics}: the map's base needs {', '.join(missing)}: not in the analytics copy"
                ]
            )
        township_rows = connection.execute(TOWNSHIP_POINTS).fetchall()
        cell_rows = connection.execute(GRID_CELLS).fetchall()
        projection = _projection(township_rows, cell_rows)
        townships: list[list[Any]] = []
        index: dict[str, int] = {}
        for code, name, longitude, latitude, places in township_rows:
            index[code] = len(townships)
            townships.append([*projection(longitude, latitude), code, name or code, places])
        cells: list[list[int]] = []
        for code, lon_min, lat_min, lon_max, lat_max in cell_rows:
            x0, y1 = projection(lon_min, lat_min)
            x1, y0 = projection(lon_max, lat_max)
            cells.append([x0, y0, x1 - x0, y1 - y0, index.get(code, -1)])
        points = {code: (t[0], t[1]) for code, t in zip(index, townships, strict=True)}
        problems: list[str] = []
        data = [
            _layer_data(connection, tables, layer, layers.display, projection, points, problems)
            for layer in layers.layers
        ]
        if problems:
            raise MapLayersError(problems)
        generated = connection.execute("SELECT strftime(now(), '%Y-%m-%d %H:%M %Z')").fetchone()
    finally:
        connection.close()
    subtitle = f"built {generated[0] if generated else ''} from {analytics.name}"
    return MapData(title, subtitle, projection, townships, cells, data)


def _tables(connection: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _projection(
    townships: Sequence[tuple[Any, ...]], cells: Sequence[tuple[Any, ...]]
) -> Projection:
    longitudes = [t[2] for t in townships] + [c[1] for c in cells] + [c[3] for c in cells]
    latitudes = [t[3] for t in townships] + [c[2] for c in cells] + [c[4] for c in cells]
    if not longitudes:
        return Projection(0.0, 0.0)
    return Projection(
        (min(longitudes) + max(longitudes)) / 2, (min(latitudes) + max(latitudes)) / 2
    )


def _layer_data(
    connection: duckdb.DuckDBPyConnection,
    tables: dict[str, list[str]],
    layer: Layer,
    display: str,
    projection: Projection,
    townships: dict[str, tuple[int, int]],
    problems: list[str],
) -> LayerData:
    where = f"{display}:{layer.line}: layers.{layer.id}"
    if layer.table not in tables or (layer.join and layer.join.table not in tables):
        absent = layer.table if layer.table not in tables else layer.join.table  # type: ignore[union-attr]
        if not layer.optional:
            problems.append(
                f"{where}: table {absent!r} is not in the analytics copy: build it, correct the "
                "name, or declare the layer `optional: true`"
            )
        return LayerData(layer, present=False)
    own = tables[layer.table]
    source = f"SELECT * FROM {qualified('main', layer.table)}"
    available = list(own)
    if layer.join is not None:
        joined = tables[layer.join.table]
        clash = [c for c in layer.join.columns if c in own]
        unknown = [c for c in (layer.join.key, *layer.join.columns) if c not in joined]
        if layer.join.key not in own:
            unknown.append(f"{layer.join.key} (in {layer.table})")
        if clash or unknown:
            problems.append(
                f"{where}.join: "
                + "; ".join(
                    [f"{layer.table} has {', '.join(clash)} already"] * bool(clash)
                    + [f"no column {', '.join(unknown)} in {layer.join.table}"] * bool(unknown)
                )
            )
            return LayerData(layer, present=True)
        picked = ", ".join(f"j.{quoted(c)}" for c in layer.join.columns)
        source = (
            f"SELECT t.*, {picked} FROM {qualified('main', layer.table)} AS t "
            f"LEFT JOIN {qualified('main', layer.join.table)} AS j "
            f"ON j.{quoted(layer.join.key)} = t.{quoted(layer.join.key)}"
        )
        available += layer.join.columns
    unknown = [c for c in layer.columns() if c not in available]
    if unknown:
        problems.append(
            f"{where}: no column {', '.join(unknown)} in {layer.table}"
            + (f" (or the columns joined from {layer.join.table})" if layer.join else "")
        )
        return LayerData(layer, present=True)

    condition = f"({layer.filter})" if layer.filter else "true"
    if layer.township is not None:
        located = f"{quoted(layer.township)} IN (SELECT unnest(?::VARCHAR[]))"
        parameters: list[Any] = [list(townships)]
    else:
        located = f"{quoted(layer.longitude or '')} IS NOT NULL AND {quoted(layer.latitude or '')} IS NOT NULL"
        parameters = []
    select = ", ".join(quoted(c) for c in layer.columns())
    order = f"ORDER BY {layer.order_by}" if layer.order_by else ""
    try:
        total, located_rows = connection.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {located}) FROM ({source}) WHERE {condition}",
            parameters,
        ).fetchone() or (0, 0)
        cursor = connection.execute(
            f"SELECT {select} FROM ({source}) WHERE {condition} AND {located} {order} LIMIT {layer.cap}",
            parameters,
        )
        rows = cursor.fetchall()
    except duckdb.Error as error:
        message = str(error).splitlines()[0]
        problems.append(f"{where}: its filter or order_by fails in DuckDB: {message}")
        return LayerData(layer, present=True)

    columns = layer.columns()
    at = {c: i for i, c in enumerate(columns)}
    features = []
    for row in rows:
        if layer.township is not None:
            x, y = townships[row[at[layer.township]]]
        else:
            x, y = projection(
                float(row[at[layer.longitude or ""]]), float(row[at[layer.latitude or ""]])
            )
        radius = row[at[layer.radius_m]] if layer.radius_m else None
        colour = _feature_colour(
            layer, row[at[layer.colour.column]] if layer.colour.column else None
        )
        title = row[at[layer.title]] if layer.title else None
        values = [_json_value(row[at[c]]) for c in layer.attributes]
        features.append(
            [
                x,
                y,
                round(float(radius)) if radius is not None else None,
                colour,
                _json_value(title),
                values,
            ]
        )
    features.reverse()  # the first by `order_by` are drawn last, on top
    return LayerData(layer, True, int(total), int(located_rows), features)


def _feature_colour(layer: Layer, value: Any) -> str:
    from pipelines.lib.map.layers import COLOUR

    colour = layer.colour
    if colour.fixed is not None:
        return colour.fixed
    if colour.values is None:  # the column holds colours: only well-formed ones reach the page
        return value if isinstance(value, str) and COLOUR.fullmatch(value) else colour.other
    return colour.values.get(_key(value), colour.other)


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    if isinstance(value, Decimal):
        return round(float(value), 3)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(_json_value(v)) for v in value)
    return str(value)


# ---------------------------------------------------------------- writing the page


def _asset(name: str) -> str:
    return files("pipelines.lib.map").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _inline_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` that could end it or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_data(data: MapData) -> dict[str, Any]:
    return {
        "title": data.title,
        "subtitle": data.subtitle,
        "townships": data.townships,
        "cells": data.cells,
        "layers": [
            {
                "id": d.layer.id,
                "label": d.layer.label,
                "note": d.layer.note,
                "table": d.layer.table,
                "present": d.present,
                "optional": d.layer.optional,
                "total": d.total,
                "located": d.located,
                "cap": d.layer.cap,
                "capped": d.capped,
                "scaled": d.layer.radius_m is not None,
                "onTownship": d.layer.township is not None,
                "legend": d.layer.colour.legend(),
                "fields": list(d.layer.attributes),
                "features": d.features,
            }
            for d in data.layers
        ],
    }


def render(data: MapData) -> str:
    script = _asset("map.js")
    style = _asset("map.css")
    policy = (
        "default-src 'none'; "
        f"script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    title = html.escape(data.title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{title}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        '<div id="map"><svg id="svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{title}"></svg>\n'
        '<div id="zoom"><button id="zoom-in" title="zoom in">+</button>'
        '<button id="zoom-out" title="zoom out">&minus;</button>'
        '<button id="zoom-reset" title="the whole city">&#8634;</button></div>\n'
        '<div id="tip" hidden></div></div>\n'
        f'<aside id="panel"><h1>{title}</h1><p id="subtitle">{html.escape(data.subtitle)}</p>\n'
        '<div id="legend"></div><div id="info"><p class="hint">Hover over a feature for what it '
        "is; click it to keep its attributes here. Scroll or use +/&minus; to zoom, drag to pan."
        "</p></div></aside>\n"
        f'<script type="application/json" id="map-data">{_inline_json(page_data(data))}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )

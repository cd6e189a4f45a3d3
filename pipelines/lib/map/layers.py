"""The layers of the one map, as configuration: `contracts/map/layers.yaml`.

Each layer names a table of the analytics copy, where its features are (a longitude and a
latitude column, or a township code drawn on the township's point), what a feature shows when
hovered or clicked, its colour (one colour, a column holding colours, or a column's values
mapped to colours), an optional SQL filter and order, and a cap on the features drawn. Adding a
layer for a new mart is one entry here, no code.

A layer whose table is not in the analytics copy fails the map with the entry's line, unless it
is declared `optional: true`: then the page lists it as "not built in this warehouse" and the
map is built without it. Optional is for tables another stage may not have built yet (a mart
that lands later, a feed a deployment does not receive); a layer the map must show stays
required, so a renamed table is an error rather than a layer that quietly disappears.

The file is validated like the contracts: every problem at once, each as
`file:line: key.path: message` (pipelines/lib/contracts/yaml_source.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)
from pipelines.lib.sql_names import NAME

LAYERS_FILE = Path("map") / "layers.yaml"
# A CSS colour as the page may use it: a name or #rgb / #rrggbb. Nothing else reaches the page's
# SVG attributes, so no value from configuration or from the warehouse can inject markup or CSS.
COLOUR = re.compile(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-z]{3,20}")
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
MAX_CAP = 20_000  # features of one layer: an SVG of more is slow to pan in a browser
DEFAULT_COLOUR = "grey"

_KEYS = {
    "id": "a short snake_case name, unique in the file (the page's and the tests' handle)",
    "label": "what the legend calls the layer",
    "note": "a sentence the legend shows under the label (optional)",
    "table": "the table (or view) of the analytics copy the features come from",
    "join": "another table joined for columns the layer's table lacks: {table, key, columns} (optional)",
    "longitude": "the column of WGS-84 longitudes (with latitude; or township)",
    "latitude": "the column of WGS-84 latitudes (with longitude; or township)",
    "township": "the column of 9-digit township codes: features drawn on the township's point",
    "radius_m": "a column of radii in metres: each feature drawn as a circle of that size (optional)",
    "title": "the column a feature is named by when hovered (optional; default: the layer's label)",
    "attributes": "the columns shown when a feature is hovered or clicked",
    "colour": "a CSS colour, or {column} (the column holds colours), or {column, values, other}",
    "filter": "an SQL condition on the table's columns (optional)",
    "order_by": "an SQL order: which features are kept when there are more than `cap` (optional)",
    "cap": f"the most features drawn (1 to {MAX_CAP:,}); the page says when a layer is capped",
    "optional": "true: a missing table leaves the layer out, listed as not built (default false)",
}
_REQUIRED = ("id", "label", "table", "attributes", "cap")
_JOIN_KEYS = ("table", "key", "columns")
_COLOUR_KEYS = ("column", "values", "other")


class MapLayersError(ContractError):
    """Problems in the map's layer file, or between it and the analytics copy; str() is one
    `file:line: key: message` per line."""


@dataclass(frozen=True)
class Join:
    table: str
    key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Colour:
    """One colour (`fixed`), or a column's value: itself a colour (`values` None), or looked up in
    `values` (keys as text), `other` for anything else."""

    fixed: str | None = None
    column: str | None = None
    values: dict[str, str] | None = None
    other: str = DEFAULT_COLOUR

    def legend(self) -> list[tuple[str, str]]:
        """(swatch colour, what it means) pairs for the legend."""
        if self.fixed is not None:
            return [(self.fixed, "")]
        if self.values is None:
            return []  # the column's own colours: the features say what they mean
        # A number means little alone ("grade 1"); a name says itself ("fire", with _ as spaces).
        return [
            *(
                (c, f"{self.column} {v}" if v.isdigit() else v.replace("_", " "))
                for v, c in self.values.items()
            ),
            (self.other, "other"),
        ]


@dataclass(frozen=True)
class Layer:
    id: str
    label: str
    table: str
    attributes: tuple[str, ...]
    cap: int
    colour: Colour
    line: int  # of the entry in the file, for errors found against the warehouse
    note: str = ""
    join: Join | None = None
    longitude: str | None = None
    latitude: str | None = None
    township: str | None = None
    radius_m: str | None = None
    title: str | None = None
    filter: str | None = None
    order_by: str | None = None
    optional: bool = False

    def columns(self) -> list[str]:
        """Every column the layer reads, each once, in a stable order."""
        named = [
            self.longitude,
            self.latitude,
            self.township,
            self.radius_m,
            self.title,
            self.colour.column,
            *self.attributes,
        ]
        return list(dict.fromkeys(c for c in named if c is not None))


@dataclass(frozen=True)
class MapLayers:
    version: str
    layers: tuple[Layer, ...]
    source: Path
    display: str = field(default="")


def layers_path(contracts_dir: Path) -> Path:
    return contracts_dir / LAYERS_FILE


def load_map_layers(path: Path, root: Path | None = None) -> MapLayers:
    """Read and validate the layer file; MapLayersError lists every problem with its line."""
    problems = Problems(display_path(path, root))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MapLayersError([f"{problems.display}:1: (file): cannot read: {error}"]) from None
    document = parse_yaml(text, problems)
    result = None if problems.messages else _compile(document, problems)
    if problems.messages or result is None:
        raise MapLayersError(problems.sorted_messages())
    version, layers = result
    return MapLayers(version, layers, path.absolute(), problems.display)


def check_map_layers(path: Path, root: Path | None = None) -> list[str]:
    """The file's problems (`safecity contract check`), none when it is valid."""
    try:
        load_map_layers(path, root)
    except MapLayersError as error:
        return list(error.messages)
    return []


def _compile(doc: Any, problems: Problems) -> tuple[str, tuple[Layer, ...]] | None:
    if not isinstance(doc, dict):
        problems.add((), "the layer file is a mapping of `version` and `layers`")
        return None
    for key in doc:
        if key not in ("version", "layers"):
            problems.add((key,), "unknown key; the file has `version` and `layers`")
    version = doc.get("version")
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        problems.add(("version",), "missing or not a quoted MAJOR.MINOR.PATCH version", at=())
    entries = doc.get("layers")
    if not isinstance(entries, list) or not entries:
        problems.add(("layers",), "a list of at least one layer", at=())
        return None
    layers = [_layer(entry, (("layers", i)), problems) for i, entry in enumerate(entries)]
    seen: set[str] = set()
    for i, layer in enumerate(layers):
        if layer is None:
            continue
        if layer.id in seen:
            problems.add(("layers", i, "id"), f"layer id {layer.id!r} is used twice")
        seen.add(layer.id)
    if problems.messages:
        return None
    return str(version), tuple(layer for layer in layers if layer is not None)


def _layer(entry: Any, path: KeyPath, problems: Problems) -> Layer | None:
    if not isinstance(entry, dict):
        problems.add(path, "a layer is a mapping: " + ", ".join(_KEYS))
        return None
    before = len(problems.messages)
    for key in entry:
        if key not in _KEYS:
            problems.add((*path, key), f"unknown key; a layer has {', '.join(_KEYS)}")
    for key in _REQUIRED:
        if key not in entry:
            problems.add((*path, key), f"missing: {_KEYS[key]}", at=path)

    def name(key: str) -> str | None:
        value = entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not NAME.fullmatch(value):
            problems.add((*path, key), "a snake_case name (lowercase letters, digits, underscores)")
            return None
        return value

    def text(key: str) -> str | None:
        value = entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            problems.add((*path, key), "a non-empty text")
            return None
        return value.strip()

    layer_id = name("id")
    table = name("table")
    longitude, latitude, township = name("longitude"), name("latitude"), name("township")
    if township is None and (longitude is None or latitude is None):
        problems.add(
            (*path, "longitude"),
            "where the features are: `longitude` and `latitude` columns, or a `township` column",
            at=path,
        )
    elif township is not None and (longitude is not None or latitude is not None):
        problems.add((*path, "township"), "either `township` or `longitude`/`latitude`, not both")
    attributes = _names(entry.get("attributes"), (*path, "attributes"), problems)
    cap = entry.get("cap")
    if "cap" in entry and (
        not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= MAX_CAP
    ):
        problems.add((*path, "cap"), f"a whole number from 1 to {MAX_CAP:,}")
    optional = entry.get("optional", False)
    if not isinstance(optional, bool):
        problems.add((*path, "optional"), "true or false")
    sql = {key: text(key) for key in ("filter", "order_by")}
    for key, value in sql.items():
        if value is not None and ";" in value:
            problems.add((*path, key), "one SQL expression, without `;`")
    layer = Layer(
        id=layer_id or "",
        label=text("label") or "",
        note=text("note") or "",
        table=table or "",
        join=_join(entry.get("join"), (*path, "join"), problems),
        longitude=longitude,
        latitude=latitude,
        township=township,
        radius_m=name("radius_m"),
        title=name("title"),
        attributes=tuple(attributes),
        colour=_colour(entry.get("colour"), (*path, "colour"), problems),
        filter=sql["filter"],
        order_by=sql["order_by"],
        cap=cap if isinstance(cap, int) else 0,
        optional=optional is True,
        line=problems.line_of(path),
    )
    return None if len(problems.messages) > before else layer


def _names(value: Any, path: KeyPath, problems: Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        problems.add(path, "a list of column names")
        return []
    names = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not NAME.fullmatch(item):
            problems.add((*path, i), "a snake_case column name")
        else:
            names.append(item)
    return names


def _join(value: Any, path: KeyPath, problems: Problems) -> Join | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(_JOIN_KEYS):
        problems.add(path, "a mapping of `table`, `key` (the column both tables share), `columns`")
        return None
    for key in ("table", "key"):
        if not isinstance(value[key], str) or not NAME.fullmatch(value[key]):
            problems.add((*path, key), "a snake_case name")
    columns = _names(value["columns"], (*path, "columns"), problems)
    return Join(str(value["table"]), str(value["key"]), tuple(columns))


def _colour_value(value: Any, path: KeyPath, problems: Problems) -> str:
    if not isinstance(value, str) or not COLOUR.fullmatch(value):
        problems.add(path, "a CSS colour name (lowercase) or #rgb / #rrggbb")
        return DEFAULT_COLOUR
    return value


def _colour(value: Any, path: KeyPath, problems: Problems) -> Colour:
    if value is None:
        return Colour(fixed=DEFAULT_COLOUR)
    if isinstance(value, str):
        return Colour(fixed=_colour_value(value, path, problems))
    if not isinstance(value, dict) or "column" not in value or not set(value) <= set(_COLOUR_KEYS):
        problems.add(
            path, "a CSS colour, or a mapping of `column` and optionally `values`, `other`"
        )
        return Colour(fixed=DEFAULT_COLOUR)
    column = value["column"]
    if not isinstance(column, str) or not NAME.fullmatch(column):
        problems.add((*path, "column"), "a snake_case column name")
    values = value.get("values")
    mapped = None
    if values is not None:
        if not isinstance(values, dict) or not values:
            problems.add((*path, "values"), "a mapping of the column's values to colours")
        else:
            mapped = {
                str(k): _colour_value(c, (*path, "values", str(k)), problems)
                for k, c in values.items()
            }
    other = _colour_value(value.get("other", DEFAULT_COLOUR), (*path, "other"), problems)
    return Colour(column=str(column), values=mapped, other=other)

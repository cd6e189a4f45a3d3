"""The one map: `reports/map/index.html`, a self-contained page of every layer of
`contracts/map/layers.yaml`, rebuilt from the analytics copy after every build.

It reads the read-only analytics copy, like the extracts, so it needs no `warehouse` pool. A
problem in the layer file, or a required layer whose table or columns the analytics copy lacks,
fails the step with every problem and its line (pipelines/lib/map/).
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import dagster as dg

from pipelines.defs import groups
from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import analytics_copy
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.resources import DataDirResource


@dg.asset(
    deps=[analytics_copy],
    group_name=groups.PUBLISH,
    kinds={"html", "svg"},
    automation_condition=REFRESH_AFTER_INGESTION,
    description=(
        "The one map (reports/map/index.html): events, warnings, hazard-source grades and every "
        "other layer of contracts/map/layers.yaml over the townships, as one self-contained page "
        "that fetches nothing (inline SVG, script and data; no tiles)."
    ),
)
def one_map(context: dg.AssetExecutionContext, data_dir: DataDirResource) -> dg.MaterializeResult:
    from pipelines.lib.city_profile import city_profile
    from pipelines.lib.map.layers import layers_path, load_map_layers
    from pipelines.lib.map.page import MAP_FILE, build_one_map

    paths = data_dir.paths
    layers = load_map_layers(layers_path(contracts_dir()), contracts_dir().parent)
    city = city_profile(paths.root)
    summary = build_one_map(
        paths.analytics,
        layers,
        paths.reports / MAP_FILE,
        title=f"{city.name}: one map",
        timezone=city.timezone,
    )
    rows = ["| layer | drawn | located | rows |", "|---|---:|---:|---:|"]
    for layer_id, counts in summary.layers.items():
        if counts is None:
            rows.append(f"| {layer_id} | not built (optional) | | |")
        else:
            rows.append(f"| {layer_id} | {counts[0]:,} | {counts[1]:,} | {counts[2]:,} |")
    absent = [layer_id for layer_id, counts in summary.layers.items() if counts is None]
    context.log.info(
        f"one map: {summary.bytes:,} bytes, {summary.townships} townships, "
        + ", ".join(f"{k} {v[0]:,}" for k, v in summary.layers.items() if v is not None)
        + (f"; optional layers not built: {', '.join(absent)}" if absent else "")
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(summary.path)),
            "bytes": summary.bytes,
            "townships": summary.townships,
            "grid_cells": summary.cells,
            "layers_version": layers.version,
            "layers": dg.MetadataValue.md("\n".join(rows)),
            **{
                f"features/{layer_id}": counts[0]
                for layer_id, counts in summary.layers.items()
                if counts is not None
            },
        }
    )
